/**
 * @module numpy's float32 `exp` as its x86 SIMD kernels (AVX2/AVX512F) compute it, which is what Python-side
 * code such as `scipy.special.softmax` over XGBoost's float32 margins gets: `k = rint(x·log2e)`, a two-step
 * Cody-Waite reduction and a 5/2 rational approximation, each step a float32 fused multiply-add, scaled by
 * 2^k. It differs from the correctly rounded `expf` by an ulp for some inputs. Ref: numpy
 * `npy_simd_data.h` (constants), `loops_exponent_log.dispatch.c.src` (`simd_exp_FLOAT`).
 */

const f32 = Math.fround;
const buf = new DataView(new ArrayBuffer(8));

/** The float32 rounding of `a·b + c` computed exactly once (a float32 FMA), for float32 a, b, c. */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 + 24 bits fit a double
  const s = p + c;
  if (!Number.isFinite(s)) return f32(s);
  // The exact error of the double sum (TwoSum); rounding to odd first makes the float32 rounding exact.
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0 || s === 0) return f32(s);
  buf.setFloat64(0, s);
  const bits = buf.getBigUint64(0);
  if ((bits & 1n) === 0n) {
    const away = err > 0 === s > 0;
    buf.setBigUint64(0, away ? bits + 1n : bits - 1n);
    return f32(buf.getFloat64(0));
  }
  return f32(s);
}

/** A float32 constant from its bit pattern (numpy's `npy_simd_data.h` values, rounded to float32). */
function bitsF32(bits: number): number {
  buf.setUint32(0, bits);
  return buf.getFloat32(0);
}

const LOG2E = bitsF32(0x3fb8aa3b);
const C1 = bitsF32(0xbf317200); // −ln 2, high part
const C2 = bitsF32(0xb5bfbe8e); // −ln 2, low part
const P = [0x3f800000, 0x3f39cbd5, 0x3e7d4c58, 0x3d517d8c, 0x3bdd7159, 0x3a053dd8].map(bitsF32);
const Q1 = bitsF32(0xbe8c6857);
const Q2 = bitsF32(0x3cb0e832);
const XMAX = bitsF32(0x42b17218); // 88.72283935546875
const XMIN = bitsF32(0xc2cff1b5); // −103.97208404541015625

/** numpy's float32 exp (x86 SIMD kernel) of a float32 value. */
export function numpyExpf(xIn: number): number {
  const x = f32(xIn);
  if (Number.isNaN(x)) return x;
  if (x >= XMAX) return Number.POSITIVE_INFINITY;
  if (x <= XMIN) return 0;
  // rint(x·log2e) as numpy does it: add and subtract 1.5·2^23 in float32.
  const magic = 12582912;
  const k = f32(f32(f32(x * LOG2E) + magic) - magic);
  let y = fmaf(k, C1, x);
  y = fmaf(k, C2, y);
  let num = fmaf(P[5], y, P[4]);
  num = fmaf(num, y, P[3]);
  num = fmaf(num, y, P[2]);
  num = fmaf(num, y, P[1]);
  num = fmaf(num, y, P[0]);
  let den = fmaf(Q2, y, Q1);
  den = fmaf(den, y, 1);
  const poly = f32(num / den);
  // scalef(poly, k): an exact power-of-two scaling, rounded once to float32 (subnormals included).
  return f32(poly * 2 ** k);
}
