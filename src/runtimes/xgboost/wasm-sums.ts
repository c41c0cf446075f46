/**
 * @module A booster's trees compiled to one WebAssembly function that adds their float32 leaves to each
 * row's float32 sums with `f32.add`. The same trees compiled to JavaScript (compiled-sums.ts) spend most
 * of their time on `Math.fround(s + leaf)`: V8 turns each into a float32-to-double conversion, an add and
 * a conversion back, and every tree of a group waits on the one before. `f32.add` is one instruction,
 * rounded once to float32 as XGBoost's own sums are, so the margins are the same bit for bit (a double
 * holds the sum of two floats exactly before that single rounding, so `fround(a + b)` and `f32.add`
 * agree on every input). In process, 1000-row batches: the bench's iris classifier 286 against 456 µs a
 * call (the whole `predict`), a breast-cancer classifier 415 against 807.
 *
 * The module is written from numbers only — feature offsets, float32 thresholds and leaves — like the
 * JavaScript, within the same bounds (compiled-sums.ts's `compilable`), categorical splits included
 * (their categories as bytes in memory; the JavaScript compiles numeric boosters only). Rows go through
 * one page of linear memory (64 KiB) a slab at a time, so a large batch costs no more memory than a
 * small one.
 * Where WebAssembly is missing or refused (`--jitless`), {@link compileWasmSums} answers undefined and
 * the JavaScript (or the walks) serve.
 */

import { sleb, uleb, wasmApi } from "../common/wasm-asm.ts";
import type { CategoryBits } from "./categorical-walk.ts";
import { compilable, type SumTrees } from "./compiled-sums.ts";

/** The margins of `rows` rows of `x` (row-major, `cols` wide): `rows × groups` float32 sums. */
export type WasmMargins = (x: Float64Array, rows: number, cols: number) => Float64Array;

/** Linear memory for a model's rows and sums: one page. Rows are run in slabs that fit in it. */
const MEMORY_BYTES = 65_536;
/** The most bytes of categories (one per code per categorical split); a booster with more keeps the walks. */
const MAX_CATEGORY_BYTES = 1 << 20;

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);

/** `f32.const v` (v a float32 value: the bytes hold it exactly). */
function f32Const(v: number, out: number[]): void {
  f32[0] = v;
  out.push(0x43, f32Bytes[0], f32Bytes[1], f32Bytes[2], f32Bytes[3]);
}

// Opcodes used (WebAssembly 1.0, and `i32.trunc_sat_f32_s` of 2.0, which V8 has long had).
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  /** Prefix of `i32.trunc_sat_f32_s` (0xfc 0x00). */
  misc: 0xfc,
  i32Load8U: 0x2d,
  i32LtU: 0x49,
  select: 0x1b,
  localTee: 0x22,
  f32Ne: 0x5c,
  i32GeS: 0x4e,
  f32Lt: 0x5d,
  f32Ge: 0x60,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  f32Add: 0x92,
} as const;
const VOID = 0x40;
const I32 = 0x7f;
const F32 = 0x7d;

// The function's parameters and locals: x's and acc's byte offsets, the rows [from, to), the row, its
// byte offsets in x and acc, a category code, then a feature value and one float32 sum per group.
const X = 0;
const FROM = 1;
const TO = 2;
const ACC = 3;
const R = 4;
const O = 5;
const A = 6;
const C = 7;
const V = 8;
const S = 9;

/**
 * The body of `sum(x, from, to, acc)`: every tree over rows `[from, to)`, in the model's order. A
 * categorical split reads its node's bytes of `cats` (one per code, 1 where the code goes right) at
 * `catsAt` in memory.
 */
function bodyOf(
  t: SumTrees,
  cols: number,
  groups: number,
  cats: CategoryBits | undefined,
  catsAt: number,
): number[] {
  const c: number[] = [];
  const get = (l: number) => {
    c.push(OP.localGet);
    uleb(l, c);
  };
  const set = (l: number) => {
    c.push(OP.localSet);
    uleb(l, c);
  };
  // A subtree's leaf value, left on the stack: each split an `if (result f32)` on "the row goes right",
  // the right subtree first.
  const tree = (n: number) => {
    if (t.left[n] === -1) {
      f32Const(t.contrib32[n], c);
      return;
    }
    if (cats !== undefined && cats.start[n] >= 0) {
      // Categorical, as the walk decides it: a missing value goes its default way; any other goes right
      // when its code (the value truncated) is one of the node's. Codes outside [0, span) — negative,
      // larger, ±∞ (truncated with saturation) — go left; -0.5 truncates to 0, as Math.trunc's -0
      // matches 0 in a Set. The direction is chosen without branching (`select`), so neither subtree
      // is written twice.
      c.push(OP.i32Const);
      sleb(t.defaultLeft[n] ? 0 : 1, c);
      get(O);
      c.push(OP.f32Load, 2);
      uleb(4 * t.feature[n], c);
      c.push(OP.localTee);
      uleb(V, c);
      c.push(OP.misc, 0x00); // i32.trunc_sat_f32_s
      c.push(OP.localTee);
      uleb(C, c);
      c.push(OP.i32Const);
      sleb(cats.span[n], c);
      c.push(OP.i32LtU, OP.if, I32);
      get(C);
      c.push(OP.i32Load8U, 0);
      uleb(catsAt + cats.start[n], c);
      c.push(OP.else, OP.i32Const, 0, OP.end);
      get(V);
      get(V);
      c.push(OP.f32Ne, OP.select);
    } else {
      get(O);
      c.push(OP.f32Load, 2);
      uleb(4 * t.feature[n], c);
      f32Const(t.cond[n], c);
      // Right when `v >= c` for a default-left split (NaN fails it: left), when not `v < c` otherwise.
      if (t.defaultLeft[n]) c.push(OP.f32Ge);
      else c.push(OP.f32Lt, OP.i32Eqz);
    }
    c.push(OP.if, F32);
    tree(t.right[n]);
    c.push(OP.else);
    tree(t.left[n]);
    c.push(OP.end);
  };
  get(FROM);
  set(R);
  c.push(OP.block, VOID, OP.loop, VOID);
  get(R);
  get(TO);
  c.push(OP.i32GeS, OP.brIf, 1);
  for (const [at, base, width] of [
    [O, X, cols],
    [A, ACC, groups],
  ]) {
    get(base);
    get(R);
    c.push(OP.i32Const);
    sleb(4 * width, c);
    c.push(OP.i32Mul, OP.i32Add);
    set(at);
  }
  for (let g = 0; g < groups; g++) {
    get(A);
    c.push(OP.f32Load, 2);
    uleb(4 * g, c);
    set(S + g);
  }
  for (let i = 0; i < t.roots.length; i++) {
    get(S + t.group[i]);
    tree(t.roots[i]);
    c.push(OP.f32Add);
    set(S + t.group[i]);
  }
  for (let g = 0; g < groups; g++) {
    get(A);
    get(S + g);
    c.push(OP.f32Store, 2);
    uleb(4 * g, c);
  }
  get(R);
  c.push(OP.i32Const, 1, OP.i32Add);
  set(R);
  c.push(OP.br, 0, OP.end, OP.end, OP.end);
  return c;
}

/** The module's bytes: one function `sum`, one imported memory `m.mem`. */
function moduleOf(
  t: SumTrees,
  cols: number,
  groups: number,
  cats: CategoryBits | undefined,
  catsAt: number,
): Uint8Array {
  const code = bodyOf(t, cols, groups, cats, catsAt);
  const body: number[] = [2, 4, I32];
  uleb(1 + groups, body);
  body.push(F32, ...code);
  const section = (id: number, payload: number[]) => {
    const out = [id];
    uleb(payload.length, out);
    out.push(...payload);
    return out;
  };
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const fn: number[] = [1];
  uleb(body.length, fn);
  for (const b of body) fn.push(b);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // Types: (i32, i32, i32, i32) → ().
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
    // Imports: memory "m" "mem", at least one page.
    ...section(2, [1, ...name("m"), ...name("mem"), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name("sum"), 0x00, 0]),
    ...section(10, fn),
  ]);
}

/**
 * Compiles a booster's trees (every leaf scalar; categorical splits read `cats`, the walks' category
 * bytes) into a WebAssembly function and answers the margins function over it: the base margins, then
 * every tree added in the model's order, in float32. Rows must be `cols` wide. Undefined when the booster
 * is beyond compiled-sums.ts's bounds (size, depth, a NaN threshold at a numeric split), has a
 * categorical split without bytes in `cats` or more than {@link MAX_CATEGORY_BYTES} of them, or
 * WebAssembly is unavailable.
 */
export function compileWasmSums(
  t: SumTrees,
  cols: number,
  groups: number,
  baseMargin: Float64Array,
  cats?: CategoryBits,
): WasmMargins | undefined {
  // The engine's WebAssembly, or none (`--jitless`), looked up when a model is bound.
  const api = wasmApi();
  if (api === undefined || !compilable(t, cats?.start)) return undefined;
  // A categorical split without its bytes (a span the walks' bits declined) cannot be compiled.
  if (t.catIndex?.some((k, n) => k >= 0 && !(cats !== undefined && cats.start[n] >= 0))) return undefined;
  const catBytes = cats?.bits.length ?? 0;
  if (catBytes > MAX_CATEGORY_BYTES) return undefined;
  const rowBytes = 4 * (cols + groups);
  const slab = Math.max(1, Math.floor(MEMORY_BYTES / rowBytes));
  const catsAt = slab * rowBytes;
  let sum: (x: number, from: number, to: number, acc: number) => void;
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new api.Memory({ initial: Math.ceil((catsAt + catBytes) / 65_536) });
    const instance = new api.Instance(new api.Module(moduleOf(t, cols, groups, cats, catsAt)), {
      m: { mem: memory },
    });
    sum = instance.exports.sum as typeof sum;
  } catch {
    // Refused by the engine (a process that forbids WebAssembly code generation): the JavaScript serves.
    return undefined;
  }
  // The memory never grows: one view for the model's life.
  const heap = new Float32Array(memory.buffer);
  if (cats !== undefined) new Uint8Array(memory.buffer).set(cats.bits, catsAt);
  const accAt = slab * cols;
  return (x, rows) => {
    const out = new Float64Array(rows * groups);
    for (let from = 0; from < rows; from += slab) {
      const n = Math.min(slab, rows - from);
      // Cast to float32 (as XGBoost reads its input), the sums started at the base margins.
      const first = from * cols;
      for (let i = 0; i < n * cols; i++) heap[i] = x[first + i];
      for (let r = 0; r < n; r++)
        for (let g = 0; g < groups; g++) heap[accAt + r * groups + g] = baseMargin[g];
      sum(0, 0, n, 4 * accAt);
      const o = from * groups;
      for (let i = 0; i < n * groups; i++) out[o + i] = heap[accAt + i];
    }
    return out;
  };
}
