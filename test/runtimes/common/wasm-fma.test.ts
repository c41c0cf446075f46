import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { libmExp } from "../../../src/runtimes/common/libm-exp.ts";
import {
  blasDotsKernel,
  chainDotsKernel,
  fusedMultiplyAdd,
  gemvKernel,
  nearestKernel,
} from "../../../src/runtimes/common/wasm-fma.ts";
import { heapPush } from "../../../src/runtimes/sklearn/estimators/neighbors/select.ts";
import { blasDot, gemmDot, gemvDot } from "../../../src/runtimes/sklearn/numeric.ts";

// The kernels must give the emulation's bits (gemmDot, blasDot and libmExp, themselves checked against
// values recorded with scikit-learn, numpy and glibc in sklearn/others.test.ts and libm tests).

/** A deterministic generator (xorshift), values of many magnitudes and both signs. */
function values(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  return () => (u() - 0.5) * Math.exp((u() - 0.5) * 24);
}

const cpuHasFma =
  process.arch === "arm64" ||
  (process.arch === "x64" && /\bfma\b/.test(readFileSync("/proc/cpuinfo", "utf8")));

describe("WebAssembly fused multiply-add kernels", () => {
  it("are made where the processor fuses (the probe sees the product's low bits)", () => {
    assert.equal(fusedMultiplyAdd(), cpuHasFma);
  });

  it("chain dots equal gemmDot's FMA chains, bit for bit, for every shape and block", () => {
    const next = values(7);
    let compared = 0;
    for (const cols of [0, 1, 3, 15, 16, 17, 30, 33, 100])
      for (const rows of [1, 2, 3, 7, 8, 9, 64, 513, 1100, 2051])
        for (const count of [1, 3, 8, 9, 20]) {
          if (rows * cols * count > 2e6) continue;
          const w = Float64Array.from({ length: rows * cols }, next);
          const stride = cols + 2;
          const x = Float64Array.from({ length: 3 + count * stride }, next);
          const kernel = chainDotsKernel(w, rows, cols, cols, 1);
          assert.equal(kernel !== undefined, cpuHasFma);
          if (kernel === undefined) continue;
          const out = new Float64Array(2 + count * rows).fill(Number.NaN);
          kernel(x, 3, stride, count, out, 2);
          for (let r = 0; r < count; r++)
            for (let j = 0; j < rows; j++) {
              const want = gemmDot(x, 3 + r * stride, 1, w, j * cols, 1, cols);
              assert.ok(Object.is(out[2 + r * rows + j], want), `${rows}×${cols} row ${r} dot ${j}`);
              compared++;
            }
        }
    if (cpuHasFma) assert.ok(compared > 1_000_000);
  });

  it("chain dots read a strided matrix (a layer's weights by column) as gemmDot does", () => {
    const next = values(11);
    const [units, inputs] = [37, 21];
    const w = Float64Array.from({ length: units * inputs }, next);
    const x = Float64Array.from({ length: inputs }, next);
    const kernel = chainDotsKernel(w, units, inputs, 1, units);
    assert.equal(kernel !== undefined, cpuHasFma);
    if (kernel === undefined) return;
    const out = new Float64Array(units);
    kernel(x, 0, inputs, 1, out, 0);
    for (let j = 0; j < units; j++) assert.ok(Object.is(out[j], gemmDot(x, 0, 1, w, j, units, inputs)));
  });

  it("chain dots with an epilogue add the bias, then ReLU, as JavaScript would (NaN kept, −0 made +0)", () => {
    const next = values(29);
    for (const relu of [false, true])
      for (const [units, inputs, count] of [
        [37, 21, 5],
        [256, 30, 19],
        [2, 1, 3],
      ]) {
        const w = Float64Array.from({ length: units * inputs }, next);
        const bias = Float64Array.from({ length: units }, next);
        const x = Float64Array.from({ length: count * inputs }, next);
        // A row of zeros against a −0 bias gives −0 (ReLU must make it +0); a NaN input gives NaNs.
        x.fill(0, 0, inputs);
        bias[0] = -0;
        x[inputs] = Number.NaN;
        const kernel = chainDotsKernel(w, units, inputs, 1, units, 0, { bias, relu });
        assert.equal(kernel !== undefined, cpuHasFma);
        if (kernel === undefined) continue;
        const out = new Float64Array(count * units);
        kernel(x, 0, inputs, count, out, 0);
        for (let r = 0; r < count; r++)
          for (let j = 0; j < units; j++) {
            const v = gemmDot(x, r * inputs, 1, w, j, units, inputs) + bias[j];
            const want = relu ? Math.max(v, 0) : v;
            assert.ok(
              Object.is(out[r * units + j], want),
              `${units}×${inputs} relu=${relu} row ${r} unit ${j}`,
            );
          }
      }
  });

  it("ddots equal blasDot (OpenBLAS' lanes, fold and tail), of a row and of a difference", () => {
    const next = values(13);
    for (const cols of [0, 1, 3, 15, 16, 17, 31, 32, 33, 40, 64, 100])
      for (const rows of [1, 2, 5, 300]) {
        const m = Float64Array.from({ length: rows * cols }, next);
        const x = Float64Array.from({ length: cols + 4 }, next);
        for (const diff of [false, true]) {
          const kernel = blasDotsKernel(m, rows, cols, diff);
          assert.equal(kernel !== undefined, cpuHasFma);
          if (kernel === undefined) continue;
          const out = new Float64Array(rows + 1).fill(Number.NaN);
          kernel(x, 4, out, 1);
          for (let i = 0; i < rows; i++) {
            const d = Float64Array.from({ length: cols }, (_, k) => x[4 + k] - m[i * cols + k]);
            const want = diff ? blasDot(d, 0, d, 0, cols) : blasDot(x, 4, m, i * cols, cols);
            assert.ok(Object.is(out[1 + i], want), `${rows}×${cols} ${diff ? "diff" : "dot"} ${i}`);
          }
        }
      }
  });

  it("RBF values equal libmExp(−γ·d²) on exp's main path and off it (tiny, huge, NaN)", () => {
    const next = values(17);
    let compared = 0;
    for (const cols of [1, 4, 16, 30])
      for (const scale of [1e-3, 0.1, 1, 10, 100])
        for (const gamma of [1e-20, 0.01, 0.5, 3, 1e6]) {
          const rows = 50;
          const m = Float64Array.from({ length: rows * cols }, () => next() * scale);
          const x = Float64Array.from({ length: cols }, () => next() * scale);
          if (gamma === 3 && scale === 1) x[0] = Number.NaN;
          const kernel = blasDotsKernel(m, rows, cols, true, -gamma);
          assert.equal(kernel !== undefined, cpuHasFma);
          if (kernel === undefined) continue;
          const out = new Float64Array(rows);
          kernel(x, 0, out, 0);
          for (let i = 0; i < rows; i++) {
            const d = Float64Array.from({ length: cols }, (_, k) => x[k] - m[i * cols + k]);
            const want = libmExp(-gamma * blasDot(d, 0, d, 0, cols));
            assert.ok(Object.is(out[i], want), `γ=${gamma} scale=${scale} ${cols} columns, row ${i}`);
            compared++;
          }
        }
    if (cpuHasFma) assert.equal(compared, 4 * 5 * 5 * 50);
  });

  it("GEMV equals gemvDot (four lanes, fold, then its 1–3 last terms) below its 2048-element block", () => {
    const next = values(19);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 30, 255, 256, 257, 1000, 2047])
      for (const count of [1, 5, 64, 65, 130]) {
        const x = Float64Array.from({ length: n }, next);
        const stride = n + 3;
        const a = Float64Array.from({ length: 2 + count * stride }, next);
        const kernel = gemvKernel(x, n);
        assert.equal(kernel !== undefined, cpuHasFma);
        if (kernel === undefined) continue;
        const out = new Float64Array(count + 1).fill(Number.NaN);
        kernel(a, 2, stride, count, out, 1);
        for (let r = 0; r < count; r++)
          assert.ok(Object.is(out[1 + r], gemvDot(a, 2 + r * stride, x, 0, 1, n)), `n=${n} row ${r}`);
      }
    // Longer vectors are summed block by block: left to the emulation.
    assert.equal(gemvKernel(new Float64Array(2048), 2048), undefined);
  });

  it("nearest keeps heapPush's heap (order, ties, NaN) of the keys xNorm − 2·x·y + ‖y‖²", () => {
    const next = values(23);
    let grid = 0;
    for (const cols of [1, 3, 17, 30])
      for (const rows of [1, 2, 5, 40, 600])
        for (const k of [1, 2, 3, 5, 8, 13]) {
          if (k > rows) continue;
          for (const ties of [false, true]) {
            // Integer grids with repeated points tie many keys exactly; a NaN feature makes NaN keys.
            const v = () => (ties ? Math.floor((grid++ * 7919) % 5) : next());
            const y = Float64Array.from({ length: rows * cols }, v);
            const count = 11;
            const x = Float64Array.from({ length: count * cols }, v);
            if (!ties && rows === 40) x[2 * cols] = Number.NaN;
            const norms = Float64Array.from({ length: rows }, (_, j) =>
              blasDot(y, j * cols, y, j * cols, cols),
            );
            const xNorms = Float64Array.from({ length: count }, (_, r) =>
              blasDot(x, r * cols, x, r * cols, cols),
            );
            const kernel = nearestKernel(y, rows, cols, norms, k);
            assert.equal(kernel !== undefined, cpuHasFma);
            if (kernel === undefined) continue;
            const hv = new Float64Array(count * k);
            const hi = new Int32Array(count * k);
            kernel(x, 0, cols, count, xNorms, hv, hi);
            for (let r = 0; r < count; r++) {
              const wv = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
              const wi = new Int32Array(k).fill(-1);
              for (let j = 0; j < rows; j++) {
                const key = xNorms[r] + -2 * gemmDot(x, r * cols, 1, y, j * cols, 1, cols) + norms[j];
                heapPush(wv, wi, 0, k, key, j);
              }
              const what = `${rows}×${cols} k=${k}${ties ? " ties" : ""} row ${r}`;
              assert.deepEqual(Array.from(hi.subarray(r * k, r * k + k)), Array.from(wi), what);
              for (let t = 0; t < k; t++) assert.ok(Object.is(hv[r * k + t], wv[t]), what);
            }
          }
        }
  });

  it("without WebAssembly no kernel is made (the emulation serves)", () => {
    const module = fileURLToPath(new URL("../../../src/runtimes/common/wasm-fma.ts", import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        [
          // Imported first (Node's type stripping itself runs on WebAssembly); the module looks for
          // WebAssembly at its first kernel.
          `const k = await import(${JSON.stringify(module)});`,
          "delete globalThis.WebAssembly;",
          "process.stdout.write(JSON.stringify([k.fusedMultiplyAdd(), k.chainDotsKernel([1, 2], 1, 2, 2, 1) ?? null, k.blasDotsKernel([1, 2], 1, 2, false) ?? null, k.gemvKernel([1, 2], 2) ?? null]));",
        ].join("\n"),
      ],
      { encoding: "utf8" },
    );
    assert.deepEqual(JSON.parse(out), [false, null, null, null]);
  });
});
