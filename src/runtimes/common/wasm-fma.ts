/**
 * @module Dot products with the processor's fused multiply-add, through WebAssembly: the kernels that
 * the scikit-learn runtime's exact-order arithmetic (`sklearn/numeric.ts`) spends its time in, for the
 * models where that is most of a call — k-nearest neighbours (a row against every training point),
 * support vector machines (against every support vector), multi-layer perceptrons (every unit of a
 * layer). JavaScript has no FMA: `fma.ts` emulates one correctly rounded in ~17 ns, a dependent chain
 * of ~25 operations; WebAssembly's `f64x2.relaxed_madd` is one instruction where the engine fuses it.
 *
 * `relaxed_madd` may be fused or not, as the engine chooses for the machine (V8 fuses wherever the
 * processor has FMA: x86-64 with FMA3, every arm64). Unfused, the sums would differ from the library's
 * in the last bits, so {@link fusedMultiplyAdd} checks the engine's answer on a product whose low bits
 * only a fused operation keeps; where it is not fused, or WebAssembly is missing (`--jitless`), the
 * kernels are not made and the callers keep the emulation. Same sums either way, bit for bit:
 *
 * - {@link chainDotsKernel}: `Σ x[k]·w[j][k]` as an FMA chain from 0 along k, for every row j of a fixed
 *   matrix (`gemmDot`: one output of a BLAS `dgemm` micro-kernel). Two rows go through the two lanes of
 *   one register at a time, each lane its own chain.
 * - {@link nearestKernel}: the chains against every training point of a KNN, then its ranking keys and
 *   the bounded max-heap of the k smallest (`heapPush`'s), without the products leaving the memory.
 * - {@link gemvKernel}: OpenBLAS' Haswell `dgemv_t` (`gemvDot`: four FMA lanes folded, then its last 1–3
 *   terms) of each row of a batch against a fixed vector (an MLP's one-unit layer).
 * - {@link blasDotsKernel}: OpenBLAS' Haswell `ddot` (`blasDot`: blocks of 16 into 16 FMA lanes, the
 *   lanes folded in its order, then the tail by plain multiply and add) of a row with every row of a
 *   fixed matrix, or of their difference with itself (an RBF kernel's squared distance), optionally
 *   followed by glibc's `exp` of a multiple of it (libm-exp.ts's algorithm and constants, its fused
 *   steps fused; values off its main path are left to `libmExp`).
 *
 * Measured in process (`npm run bench:heavy`, 2026-12-07): single rows of an 11 000-point KNN 4.9 ms →
 * 0.16 ms, of an RBF SVC of 3 734 support vectors 1.16 → 0.097 ms, of a 256×256 MLP 0.90 → 0.027 ms.
 *
 * Each kernel owns a copy of its matrix in its instance's memory (laid out for the lanes); nothing in
 * the module comes from a model but numbers.
 */

import { fma } from "./fma.ts";
import { EXP_TABLES, libmExp } from "./libm-exp.ts";
import { type WasmApi, wasmApi } from "./wasm-asm.ts";
import { type Exports, moduleBytes } from "./wasm-fma-code.ts";

/**
 * For `count` input rows (row r's values from `x[xo + r·xStride]`), `out[outAt + r·rows + j] =
 * Σ_k x[r][k]·w[j][k]` for every row `j` of the kernel's matrix (`rows` of them).
 */
export type ChainDots = (
  x: ArrayLike<number>,
  xo: number,
  xStride: number,
  count: number,
  out: Float64Array,
  outAt: number,
) => void;
/**
 * `out[outAt + i]` = `blasDot` of `x[xo…]` with row `i` (or of `x − row i` with itself) for every row,
 * or `exp` of a multiple of it.
 */
export type BlasDots = (x: ArrayLike<number>, xo: number, out: Float64Array, outAt: number) => void;

/**
 * The most bytes a kernel's memory holds (its matrix and scratch); a larger matrix keeps the emulation
 * (the kernel's copy would double a large model's memory).
 */
export const MAX_KERNEL_BYTES = 1 << 30;

let compiled: { api: WasmApi; module: object } | null | undefined;

/** The compiled module and the API to instantiate it, or null where there is no fused WebAssembly FMA. */
function fmaModule(): { api: WasmApi; module: object } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const api = wasmApi();
  if (api === undefined) return null;
  try {
    const module = new api.Module(moduleBytes());
    const probe = (
      new api.Instance(module, { m: { mem: new api.Memory({ initial: 1 }) } }).exports as unknown as Exports
    ).probe;
    // (1 + 2^-30)² − (1 + 2^-29) is 2^-60 exactly: fused it is kept, unfused the product's rounding loses it.
    const a = 1 + 2 ** -30;
    if (probe(a, a, -(1 + 2 ** -29)) === 2 ** -60) compiled = { api, module };
  } catch {
    // Refused by the engine (WebAssembly code generation disallowed, no SIMD): the emulation serves.
  }
  return compiled;
}

/** Whether the engine's WebAssembly multiply-add is fused here (and so the kernels are made). */
export function fusedMultiplyAdd(): boolean {
  return fmaModule() !== null;
}

/** An instance over a fresh memory of at least `bytes` bytes, or undefined (none, or too large). */
function instance(bytes: number): { exports: Exports; buffer: ArrayBuffer } | undefined {
  const m = fmaModule();
  if (m === null || bytes > MAX_KERNEL_BYTES) return undefined;
  try {
    const memory = new m.api.Memory({ initial: Math.max(1, Math.ceil(bytes / 65_536)) });
    const exports = new m.api.Instance(m.module, { m: { mem: memory } }).exports as unknown as Exports;
    return { exports, buffer: memory.buffer };
  } catch {
    // The memory could not be had (the process is short of it): the emulation serves, slower but
    // without the copy.
    return undefined;
  }
}

/** Input rows a chain kernel takes through each block of its matrix. */
const CHAIN_BLOCK_ROWS = 8;
/** Groups of four pairs of matrix rows in a block: 256 rows, 2 kB a column (64 kB at 32 columns). */
const CHAIN_BLOCK_GROUPS = 64;

/** `n` rounded up to a multiple of 16 (v128 alignment). */
const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** A chain kernel's instance: its memory, where things are, and how to run a block of input rows. */
interface Chains {
  readonly exports: Exports;
  readonly heap: Float64Array;
  readonly buffer: ArrayBuffer;
  /** Matrix rows laid out in pairs (the last one padded). */
  readonly pairs: number;
  /** Byte offset of the block's products: input row r's at `outAt + 16·pairs·r`. */
  readonly outAt: number;
  /** Byte offset of `extra` bytes the caller asked for. */
  readonly extraAt: number;
  /** Products of input rows `r0 … r0 + nr − 1` (nr ≤ CHAIN_BLOCK_ROWS) with every matrix row. */
  block(x: ArrayLike<number>, xo: number, xStride: number, r0: number, nr: number): void;
}

/** The shared part of the chain kernels: `extra` more bytes of memory for the caller (16-aligned). */
function chainsOf(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  rowStride: number,
  colStride: number,
  offset: number,
  extra: number,
): Chains | undefined {
  const pairs = Math.ceil(rows / 2);
  const xAt = 0;
  const outAt = align16(8 * cols * CHAIN_BLOCK_ROWS);
  const extraAt = outAt + 16 * pairs * CHAIN_BLOCK_ROWS;
  const wAt = extraAt + align16(extra);
  const inst = instance(wAt + 16 * pairs * cols);
  if (inst === undefined) return undefined;
  const heap = new Float64Array(inst.buffer);
  // Pairs of rows interleaved element by element — (w[2p][k], w[2p+1][k]) side by side, an odd last
  // row's partner zeros — in groups of four pairs per element (chainBody's layout).
  const w0 = wAt / 8;
  const groups = pairs >> 2;
  const grouped = groups * 4;
  for (let j = 0; j < rows; j++) {
    const p = j >> 1;
    for (let k = 0; k < cols; k++) {
      const at =
        p < grouped
          ? (((p >> 2) * cols + k) * 4 + (p & 3)) * 2
          : (grouped * cols + (p - grouped) * cols + k) * 2;
      heap[w0 + at + (j & 1)] = w[offset + j * rowStride + k * colStride];
    }
  }
  const { chain, chain2 } = inst.exports;
  return {
    exports: inst.exports,
    heap,
    buffer: inst.buffer,
    pairs,
    outAt,
    extraAt,
    block(x, xo, xStride, r0, nr) {
      for (let r = 0; r < nr; r++)
        for (let k = 0; k < cols; k++) heap[r * cols + k] = x[xo + (r0 + r) * xStride + k];
      // Each block of the matrix (a few hundred kB) goes through every input row while it is in
      // cache, instead of the whole matrix streaming in for each row.
      for (let g = 0; g === 0 || g < groups; g += CHAIN_BLOCK_GROUPS) {
        const end = Math.min(groups, g + CHAIN_BLOCK_GROUPS);
        // The last block takes the pairs after the groups too.
        const blockPairs = (end - g) * 4 + (end === groups ? pairs - grouped : 0);
        const wBlock = wAt + 64 * cols * g;
        const out = (r: number) => outAt + 16 * (pairs * r + 4 * g);
        // Two rows at a time share each weight they load; an odd last row goes alone.
        let r = 0;
        for (; r + 1 < nr; r += 2)
          chain2(xAt + 8 * cols * r, xAt + 8 * cols * (r + 1), cols, wBlock, blockPairs, out(r), out(r + 1));
        if (r < nr) chain(xAt + 8 * cols * r, cols, wBlock, blockPairs, out(r));
      }
    },
  };
}

/** What a chain kernel adds to each result before handing it out: a layer's intercepts, then ReLU. */
export interface Epilogue {
  /** One value per matrix row, added to that row's product (`v + bias[j]`). */
  readonly bias: ArrayLike<number>;
  /** Then `Math.max(v, 0)`. */
  readonly relu: boolean;
}

/**
 * A kernel for `gemmDot(x, xo, 1, w, at(j), colStride, cols)` of every row `j < rows`, where row j's
 * element k is `w[offset + j·rowStride + k·colStride]`: the same FMA chains, fused; with `epilogue`, each
 * result then gets its bias added (and ReLU) in the same memory, as the caller would in JavaScript.
 * Undefined where the engine has no fused multiply-add in WebAssembly or the matrix is too large.
 */
export function chainDotsKernel(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  rowStride: number,
  colStride: number,
  offset = 0,
  epilogue?: Epilogue,
): ChainDots | undefined {
  const c = chainsOf(w, rows, cols, rowStride, colStride, offset, epilogue === undefined ? 0 : 8 * rows);
  if (c === undefined) return undefined;
  const { heap, pairs, outAt, extraAt } = c;
  if (epilogue !== undefined) heap.set(Float64Array.from(epilogue.bias), extraAt / 8);
  const relu = epilogue?.relu === true ? 1 : 0;
  return (x, xo, xStride, count, out, at) => {
    for (let r0 = 0; r0 < count; r0 += CHAIN_BLOCK_ROWS) {
      const nr = Math.min(CHAIN_BLOCK_ROWS, count - r0);
      c.block(x, xo, xStride, r0, nr);
      if (epilogue !== undefined) c.exports.epilogue(outAt, nr, 16 * pairs, extraAt, rows, relu);
      for (let r = 0; r < nr; r++) {
        const from = outAt / 8 + 2 * pairs * r;
        const to = at + (r0 + r) * rows;
        for (let j = 0; j < rows; j++) out[to + j] = heap[from + j];
      }
    }
  };
}

/**
 * For `count` input rows (row r from `x[xo + r·xStride]`, its squared norm `xNorms[r]`), the bounded
 * max-heap of the `k` smallest keys `(xNorm + −2·x·y_j) + norms[j]` over the matrix rows y_j in order
 * (brute-force KNN's first selection: `neighbors/select.ts`'s heapPush from a heap of +∞ and −1), left
 * in `values[r·k …]` and `indices[r·k …]`.
 */
export type NearestRows = (
  x: ArrayLike<number>,
  xo: number,
  xStride: number,
  count: number,
  xNorms: ArrayLike<number>,
  values: Float64Array,
  indices: Int32Array,
) => void;

/**
 * A kernel for brute-force KNN's selection over the row-major training points `y` (`rows × cols`,
 * squared norms `norms`): the products as {@link chainDotsKernel} makes them, the keys and the heap in
 * WebAssembly, never leaving its memory. Undefined where the chain kernel would be.
 */
export function nearestKernel(
  y: ArrayLike<number>,
  rows: number,
  cols: number,
  norms: ArrayLike<number>,
  k: number,
): NearestRows | undefined {
  const c = chainsOf(y, rows, cols, cols, 1, 0, 8 * rows + 16 * k);
  if (c === undefined) return undefined;
  const { heap, pairs, outAt, extraAt } = c;
  const normsAt = extraAt;
  const hvAt = normsAt + 8 * rows;
  const hiAt = hvAt + 8 * k;
  heap.set(Float64Array.from(norms), normsAt / 8);
  const hv = new Float64Array(c.buffer, hvAt, k);
  const hi = new Int32Array(c.buffer, hiAt, k);
  const { nearest } = c.exports;
  return (x, xo, xStride, count, xNorms, values, indices) => {
    for (let r0 = 0; r0 < count; r0 += CHAIN_BLOCK_ROWS) {
      const nr = Math.min(CHAIN_BLOCK_ROWS, count - r0);
      c.block(x, xo, xStride, r0, nr);
      for (let r = 0; r < nr; r++) {
        hv.fill(Number.POSITIVE_INFINITY);
        hi.fill(-1);
        nearest(outAt + 16 * pairs * r, normsAt, rows, xNorms[r0 + r], k, hvAt, hiAt);
        values.set(hv, (r0 + r) * k);
        indices.set(hi, (r0 + r) * k);
      }
    }
  };
}

/**
 * A kernel for `blasDot(x, xo, m, i·cols, cols)` of every row `i < rows` of the row-major `m` — or, with
 * `diff`, for `blasDot(d, 0, d, 0, cols)` where `d = x − row i`: the same lanes and order, fused. With
 * `expFactor`, each result `v` becomes `libmExp(expFactor·v)` (an RBF kernel's value), the same bits.
 * Undefined where the engine has no fused multiply-add in WebAssembly or the matrix is too large.
 */
export function blasDotsKernel(
  m: ArrayLike<number>,
  rows: number,
  cols: number,
  diff: boolean,
  expFactor?: number,
): BlasDots | undefined {
  const tablesAt = 0;
  const xAt = tablesAt + 8 * EXP_TABLES.length;
  const outAt = xAt + align16(8 * cols);
  const specialsAt = outAt + align16(8 * rows);
  const mAt = specialsAt + align16(4 * rows);
  const inst = instance(mAt + 8 * rows * cols);
  if (inst === undefined) return undefined;
  const heap = new Float64Array(inst.buffer);
  const specials = new Int32Array(inst.buffer, specialsAt, rows);
  heap.set(EXP_TABLES, tablesAt / 8);
  const m0 = mAt / 8;
  for (let i = 0; i < rows * cols; i++) heap[m0 + i] = m[i];
  const x0 = xAt / 8;
  const o0 = outAt / 8;
  const { exps } = inst.exports;
  const run = diff ? inst.exports.ddotDiff : inst.exports.ddot;
  return (x, xo, out, at) => {
    for (let k = 0; k < cols; k++) heap[x0 + k] = x[xo + k];
    run(xAt, cols, mAt, rows, outAt);
    if (expFactor !== undefined) {
      // The rare values off exp's main path were left as expFactor·v: finished by the emulation.
      const n = exps(outAt, rows, expFactor, tablesAt, specialsAt);
      for (let s = 0; s < n; s++) heap[o0 + specials[s]] = libmExp(heap[o0 + specials[s]]);
    }
    for (let i = 0; i < rows; i++) out[at + i] = heap[o0 + i];
  };
}

/** Rows a GEMV kernel copies in at a time. */
const GEMV_BLOCK_ROWS = 64;

/**
 * `out[outAt + r] = gemvDot(a, ao + r·aStride, x, 0, 1, n)` for `count` rows of `a`: OpenBLAS' `dgemv_t`
 * (numpy's `A @ w` for a one-column `w`) with its four lanes fused, then its 1–3 last terms as gemvDot
 * adds them.
 */
export type GemvDots = (
  a: ArrayLike<number>,
  ao: number,
  aStride: number,
  count: number,
  out: Float64Array,
  outAt: number,
) => void;

/**
 * A kernel for gemvDot against the fixed vector `x` of `n` values (n below the kernel's 2048-element
 * block: one block and the tail, as gemvDot takes them), or undefined (no fused WebAssembly
 * multiply-add, or a longer vector, which gemvDot sums in several blocks).
 */
export function gemvKernel(x: ArrayLike<number>, n: number): GemvDots | undefined {
  if (n >= 2048) return undefined;
  const nb = n & -4;
  const xAt = 0;
  const outAt = align16(8 * n);
  const aAt = outAt + 8 * GEMV_BLOCK_ROWS;
  const inst = instance(aAt + 8 * n * GEMV_BLOCK_ROWS);
  if (inst === undefined) return undefined;
  const heap = new Float64Array(inst.buffer);
  for (let k = 0; k < n; k++) heap[k] = x[k];
  const { gemv } = inst.exports;
  const a0 = aAt / 8;
  const o0 = outAt / 8;
  return (a, ao, aStride, count, out, at) => {
    for (let r0 = 0; r0 < count; r0 += GEMV_BLOCK_ROWS) {
      const nr = Math.min(GEMV_BLOCK_ROWS, count - r0);
      for (let r = 0; r < nr; r++)
        for (let k = 0; k < n; k++) heap[a0 + r * n + k] = a[ao + (r0 + r) * aStride + k];
      if (nb > 0) gemv(aAt, 8 * n, nr, xAt, nb, outAt);
      for (let r = 0; r < nr; r++) {
        // gemvDot: y = 0, plus the block's fold when there is one, then the last n mod 4 terms.
        let y = 0;
        if (nb > 0) y += heap[o0 + r];
        const row = a0 + r * n + nb;
        const m3 = n - nb;
        if (m3 === 1) y = fma(heap[row], x[nb], y);
        else if (m3 === 2) y += fma(heap[row], x[nb], heap[row + 1] * x[nb + 1]);
        else if (m3 === 3)
          y += fma(heap[row + 2], x[nb + 2], fma(heap[row], x[nb], heap[row + 1] * x[nb + 1]));
        out[at + r0 + r] = y;
      }
    }
  };
}
