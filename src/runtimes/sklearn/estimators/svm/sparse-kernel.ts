/**
 * @module Kernels of libsvm estimators fitted on a sparse matrix (`_sparse`: support vectors kept as a scipy CSR
 * matrix). scikit-learn then predicts through libsvm's sparse code: each input row becomes its non-zero
 * entries, dot products walk both index lists in order summing matching entries one by one, and the RBF
 * kernel sums squared differences over the union of indices in index order. Ref: sklearn
 * `svm/src/libsvm/svm.cpp` built with `_DENSE_REP` off (`Kernel::dot`, `Kernel::k_function`). The kernel
 * type and libsvm's `powi` are shared with the dense kernels of `libsvm.ts`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { libmExp } from "../../../common/libm-exp.ts";
import type { BuildContext, DenseData, SparseData } from "../../estimator.ts";

/** Writes the kernel values of row `r` of `x` against every support vector into `out`. */
export type Kernel = (x: DenseData, r: number, out: Float64Array) => void;

/** libsvm's `powi`: binary exponentiation (not `Math.pow`, which rounds differently). */
export function powi(base: number, times: number): number {
  let tmp = base;
  let ret = 1;
  for (let t = times; t > 0; t = Math.trunc(t / 2)) {
    if (t % 2 === 1) ret *= tmp;
    tmp *= tmp;
  }
  return ret;
}

/** The kernel over sparse support vectors. */
export function sparseKernelOf(
  o: PyObject,
  ctx: BuildContext,
  sv: SparseData,
  params: { kind: string; gamma: number; coef0: number; degree: number },
): Kernel {
  const { kind, gamma, coef0, degree } = params;
  const idx = new Int32Array(sv.cols);
  const val = new Float64Array(sv.cols);
  /** The row's non-zero entries in index order (what scipy's csr_matrix(X) keeps); returns their count. */
  const nonZeros = (x: DenseData, r: number): number => {
    let n = 0;
    const base = r * x.cols;
    for (let k = 0; k < x.cols; k++) {
      const v = x.data[base + k];
      if (v !== 0) {
        idx[n] = k;
        val[n++] = v;
      }
    }
    return n;
  };
  const dot = (n: number, i: number): number => {
    let sum = 0;
    let a = 0;
    let b = sv.indptr[i];
    const end = sv.indptr[i + 1];
    while (a < n && b < end) {
      if (idx[a] === sv.indices[b]) sum += val[a++] * sv.data[b++];
      else if (idx[a] > sv.indices[b]) b++;
      else a++;
    }
    return sum;
  };
  const nSv = sv.rows;
  switch (kind) {
    case "linear":
      return (x, r, out) => {
        const n = nonZeros(x, r);
        for (let i = 0; i < nSv; i++) out[i] = dot(n, i);
      };
    case "poly":
      return (x, r, out) => {
        const n = nonZeros(x, r);
        for (let i = 0; i < nSv; i++) out[i] = powi(gamma * dot(n, i) + coef0, degree);
      };
    case "sigmoid":
      return (x, r, out) => {
        const n = nonZeros(x, r);
        for (let i = 0; i < nSv; i++) out[i] = Math.tanh(gamma * dot(n, i) + coef0);
      };
    case "rbf":
      return (x, r, out) => {
        const n = nonZeros(x, r);
        for (let i = 0; i < nSv; i++) {
          let sum = 0;
          let a = 0;
          let b = sv.indptr[i];
          const end = sv.indptr[i + 1];
          while (a < n && b < end) {
            if (idx[a] === sv.indices[b]) {
              const d = val[a++] - sv.data[b++];
              sum += d * d;
            } else if (idx[a] > sv.indices[b]) {
              sum += sv.data[b] * sv.data[b];
              b++;
            } else {
              sum += val[a] * val[a];
              a++;
            }
          }
          while (a < n) {
            sum += val[a] * val[a];
            a++;
          }
          while (b < end) {
            sum += sv.data[b] * sv.data[b];
            b++;
          }
          out[i] = libmExp(-gamma * sum);
        }
      };
    default:
      throw Errors.unsupportedModel(ctx.file, `${o.name} with kernel=${JSON.stringify(kind)}`);
  }
}
