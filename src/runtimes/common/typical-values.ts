/**
 * @module Typical input values from split thresholds: the median threshold a tree model uses on a
 * feature lies inside the range it was trained on, so it makes a realistic documentation example.
 */

import type { FeatureSpec } from "../runtime.ts";

/** The median of each numeric input's thresholds, by input name; undefined when there are none. */
export function typicalFromThresholds(
  thresholds: readonly ArrayLike<number>[] | undefined,
  inputs: readonly FeatureSpec[],
): Record<string, number> | undefined {
  if (!thresholds || thresholds.length !== inputs.length) return undefined;
  return typicalFromMedians(thresholdMedians(thresholds), inputs);
}

/**
 * The median finite threshold of each column (NaN where there is none): the data-sized part of the
 * typical values, which a loader worker can compute (see {@link typicalFromMedians} for the rest).
 */
export function thresholdMedians(thresholds: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(thresholds.length).fill(Number.NaN);
  // A forest has hundreds of thousands of thresholds per feature: the median is selected in linear
  // time rather than found by sorting them all (a large forest's load spent ~80 ms sorting).
  let room = new Float64Array(0);
  thresholds.forEach((src, i) => {
    if (room.length < src.length) room = new Float64Array(src.length);
    let n = 0;
    for (let j = 0; j < src.length; j++) if (Number.isFinite(src[j])) room[n++] = src[j];
    if (n > 0) out[i] = select(room.subarray(0, n), Math.floor(n / 2));
  });
  return out;
}

/** Each numeric input's median threshold (from {@link thresholdMedians}), rounded to 3 digits (ints rounded). */
export function typicalFromMedians(
  medians: ArrayLike<number> | undefined,
  inputs: readonly FeatureSpec[],
): Record<string, number> | undefined {
  if (!medians || medians.length !== inputs.length) return undefined;
  const out: Record<string, number> = {};
  inputs.forEach((f, i) => {
    const median = medians[i];
    if ((f.dtype !== "float" && f.dtype !== "int") || !Number.isFinite(median)) return;
    out[f.name] = f.dtype === "int" ? Math.round(median) : Number(median.toPrecision(3));
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The value at index `k` of `a` once sorted (Hoare's quickselect, median-of-three pivots; reorders `a`).
 * Finite values only: `-0` and `0` compare equal, as they do for the documentation examples built here.
 */
export function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot: sorted input (common for thresholds) stays linear.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
