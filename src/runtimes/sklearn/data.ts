/** @module Helpers over the data that flows between scikit-learn estimators. */

import type { Label, Matrix } from "../runtime.ts";
import type { DenseData, SkData } from "./estimator.ts";

/** Raised when an estimator gets data it cannot use (the runtime reports an invalid input). */
export class DataError extends Error {}

/** The data as a dense float64 matrix (sparse matrices expanded; string columns refused). */
export function dense(x: SkData): DenseData {
  if (x.kind === "dense") return x;
  if (x.kind === "csr") {
    const out = new Float64Array(x.rows * x.cols);
    for (let r = 0; r < x.rows; r++) {
      for (let k = x.indptr[r]; k < x.indptr[r + 1]; k++) out[r * x.cols + x.indices[k]] = x.data[k];
    }
    return { kind: "dense", rows: x.rows, cols: x.cols, data: out };
  }
  const cols = x.columns.length;
  const out = new Float64Array(x.rows * cols);
  x.columns.forEach((c, j) => {
    if (!(c.values instanceof Float64Array))
      throw new DataError(`column ${c.name} holds strings where numbers are needed`);
    for (let r = 0; r < x.rows; r++) out[r * cols + j] = c.values[r];
  });
  return { kind: "dense", rows: x.rows, cols, data: out };
}

/** A matrix value. */
export function matrix(rows: number, cols: number, data: Float64Array): Matrix {
  return { rows, cols, data };
}

/** Matrices with `rows` rows each, concatenated column-wise in order (`np.hstack`, `column_stack`). */
export function sideBySide(parts: readonly Matrix[], rows: number): DenseData {
  const width = parts.reduce((w, p) => w + p.cols, 0);
  const out = new Float64Array(rows * width);
  let off = 0;
  for (const p of parts) {
    for (let r = 0; r < rows; r++) out.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), r * width + off);
    off += p.cols;
  }
  return { kind: "dense", rows, cols: width, data: out };
}

/**
 * Softmax of each row of a row-major `rows × k` matrix, in place: `exp(v − max)` then divided by the
 * row's sum, added left to right (as numpy's `softmax` of scikit-learn's predictors and scipy's).
 */
export function softmaxInPlace(v: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let mx = v[o];
    for (let c = 1; c < k; c++) if (v[o + c] > mx) mx = v[o + c];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      v[o + c] = Math.exp(v[o + c] - mx);
      sum += v[o + c];
    }
    for (let c = 0; c < k; c++) v[o + c] /= sum;
  }
}

/** The label of the largest value in each row (the first on ties, as numpy's argmax). */
export function argmaxLabels(m: Matrix, classes: readonly Label[]): Label[] {
  const out: Label[] = new Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let best = 0;
    for (let c = 1; c < m.cols; c++) if (m.data[r * m.cols + c] > m.data[r * m.cols + best]) best = c;
    out[r] = classes[best];
  }
  return out;
}

/** scipy's expit, exact in both tails. */
export function expit(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
