/**
 * @module Floating-point kernels that reproduce the summation orders of the libraries scikit-learn
 * calls: a correctly rounded fused multiply-add (BLAS `dgemm` kernels accumulate with FMA along the
 * inner dimension), BLAS `ddot`'s plain loop, and numpy's pairwise summation.
 */

import { fma } from "../common/fma.ts";

/**
 * `Σ x[xo + k·xs]·w[wo + k·ws]` for k < n as one output of an OpenBLAS `dgemm` micro-kernel: an FMA
 * chain from 0 along the inner dimension. Bit-identical to numpy's `X @ W` on x86-64 FMA machines
 * while the inner dimension fits one kernel block (≤ 256 here); otherwise within rounding.
 */
export function gemmDot(
  x: ArrayLike<number>,
  xo: number,
  xs: number,
  w: ArrayLike<number>,
  wo: number,
  ws: number,
  n: number,
): number {
  let acc = 0;
  for (let k = 0; k < n; k++) acc = fma(x[xo + k * xs], w[wo + k * ws], acc);
  return acc;
}

const lanes = new Float64Array(16);

/**
 * `Σ x[xo+k]·y[yo+k]` as OpenBLAS' `ddot` sums it with its Haswell kernel (the one it picks on
 * AVX2 and Zen machines): blocks of 16 into 16 FMA lanes (four 4-wide registers), the lanes folded
 * `(l0+l2, l1+l3)` per register, registers added `(r0+r1)+(r2+r3)`, the halves added, then the
 * tail in a plain loop. Under 16 elements this is the plain loop every BLAS uses.
 */
export function blasDot(
  x: ArrayLike<number>,
  xo: number,
  y: ArrayLike<number>,
  yo: number,
  n: number,
): number {
  const n1 = n & -16;
  let dot = 0;
  if (n1 > 0) {
    lanes.fill(0);
    for (let i = 0; i < n1; i += 16)
      for (let l = 0; l < 16; l++) lanes[l] = fma(x[xo + i + l], y[yo + i + l], lanes[l]);
    const a0 = lanes[0] + lanes[2];
    const a1 = lanes[1] + lanes[3];
    const b0 = lanes[4] + lanes[6];
    const b1 = lanes[5] + lanes[7];
    const c0 = lanes[8] + lanes[10];
    const c1 = lanes[9] + lanes[11];
    const d0 = lanes[12] + lanes[14];
    const d1 = lanes[13] + lanes[15];
    dot = a0 + b0 + (c0 + d0) + (a1 + b1 + (c1 + d1));
  }
  for (let i = n1; i < n; i++) dot += y[yo + i] * x[xo + i];
  return dot;
}

/**
 * `Σ a[ao+k]·x[xo+k·xs]` for k < n as OpenBLAS' transposed GEMV (`dgemv_t`, Haswell kernel) gives one
 * output: numpy's `A @ w` when `w` has a single column. Blocks of up to 2048 (multiples of 4) go
 * through four FMA lanes folded `(l0+l2)+(l1+l3)`, each block added to the output; the last 1–3
 * terms are added as GCC contracts the C code: `y = fma(a,x,y)` for one, `y + fma(a0,x0,a1·x1)` for
 * two, `y + fma(a2,x2,fma(a0,x0,a1·x1))` for three.
 */
export function gemvDot(
  a: ArrayLike<number>,
  ao: number,
  x: ArrayLike<number>,
  xo: number,
  xs: number,
  n: number,
): number {
  const block = 2048;
  const m3 = n & 3;
  const m2 = (n & (block - 1)) - m3;
  let m1 = n & -4;
  let nb = block;
  let y = 0;
  let off = 0;
  while (nb === block) {
    m1 -= nb;
    if (m1 < 0) {
      if (m2 === 0) break;
      nb = m2;
    }
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    for (let i = off; i < off + nb; i += 4) {
      l0 = fma(a[ao + i], x[xo + i * xs], l0);
      l1 = fma(a[ao + i + 1], x[xo + (i + 1) * xs], l1);
      l2 = fma(a[ao + i + 2], x[xo + (i + 2) * xs], l2);
      l3 = fma(a[ao + i + 3], x[xo + (i + 3) * xs], l3);
    }
    y += l0 + l2 + (l1 + l3);
    off += nb;
  }
  const at = (j: number) => a[ao + off + j];
  const xt = (j: number) => x[xo + (off + j) * xs];
  if (m3 === 1) y = fma(at(0), xt(0), y);
  else if (m3 === 2) y += fma(at(0), xt(0), at(1) * xt(1));
  else if (m3 === 3) y += fma(at(2), xt(2), fma(at(0), xt(0), at(1) * xt(1)));
  return y;
}

/**
 * numpy's pairwise summation of `n` values read by `at(i)` (`np.sum` along a contiguous axis):
 * a plain loop under 8, eight interleaved accumulators up to 128, halves above.
 */
export function pairwiseSum(at: (i: number) => number, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += at(start + i);
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = at(start + j);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += at(start + i + j);
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += at(start + i);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(at, start, n2) + pairwiseSum(at, start + n2, n - n2);
}

/** numpy's pairwise sum of a contiguous slice of an array. */
export function sumSlice(a: ArrayLike<number>, start: number, n: number): number {
  return pairwiseSum((i) => a[i], start, n);
}
