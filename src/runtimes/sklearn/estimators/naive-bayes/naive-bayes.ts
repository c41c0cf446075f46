/**
 * @module Builders of `GaussianNB`, `MultinomialNB`, `BernoulliNB` and `ComplementNB`: the joint log
 * likelihood in scikit-learn's association order (numpy's pairwise sums, GEMM products as FMA
 * chains), `predict` as its argmax and `predict_proba` as `exp(jll − logsumexp(jll))` with the
 * logsumexp of the fitted version (scipy's before 1.7, scikit-learn's own since).
 * Ref: sklearn `naive_bayes.py`, `utils/_array_api.py::_logsumexp`, scipy `special/_logsumexp.py`.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { argmaxLabels, dense, matrix } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { gemmDot, pairwiseSum, sumSlice } from "../../numeric.ts";
import { attr, floats, labels, need, num, strings, versionAtLeast } from "../../py-access.ts";

/** Row-wise logsumexp as scipy ≤ 1.14 computes it: `log(Σ exp(a − max)) + max`. */
function logsumexpScipy(a: Float64Array, o: number, n: number): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (a[o + i] > mx || Number.isNaN(a[o + i])) mx = a[o + i];
  if (!Number.isFinite(mx)) mx = 0;
  const s = pairwiseSum((i) => Math.exp(a[i] - mx), o, n);
  return Math.log(s) + mx;
}

/** scikit-learn ≥ 1.7's `_logsumexp`: the maxima are taken out and counted, then `log1p`. */
function logsumexpSklearn(a: Float64Array, o: number, n: number): number {
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (a[o + i] > mx || Number.isNaN(a[o + i])) mx = a[o + i];
  let m = 0;
  for (let i = 0; i < n; i++) if (a[o + i] === mx) m++;
  const shift = Number.isFinite(mx) ? mx : 0;
  let s = pairwiseSum((i) => (a[i] === mx ? 0 : Math.exp(a[i] - shift)), o, n);
  s = s === 0 ? s : s / m;
  return Math.log1p(s) + Math.log(m) + mx;
}

function nbClassifier(
  o: PyObject,
  ctx: BuildContext,
  nFeatures: number,
  jll: (x: SkData) => Matrix,
): SkEstimator {
  const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
  const lse = versionAtLeast(ctx.sklearnVersion, 1, 7) ? logsumexpSklearn : logsumexpScipy;
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: nFeatures,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    classes,
    predict: (x): Label[] => argmaxLabels(jll(x), classes),
    predictProba(x): Matrix {
      const j = jll(x);
      const out = new Float64Array(j.data.length);
      for (let r = 0; r < j.rows; r++) {
        const l = lse(j.data, r * j.cols, j.cols);
        for (let c = 0; c < j.cols; c++) out[r * j.cols + c] = Math.exp(j.data[r * j.cols + c] - l);
      }
      return matrix(j.rows, j.cols, out);
    },
  };
}

/** Builder of `GaussianNB`. */
export function gaussianNB(o: PyObject, ctx: BuildContext): SkEstimator {
  const theta = floats(need(o, "theta_"), `${o.name}.theta_`);
  const variance = floats(attr(o, "var_") ?? need(o, "sigma_"), `${o.name}.var_`).data;
  const prior = floats(need(o, "class_prior_"), `${o.name}.class_prior_`).data;
  const [nc, nf] = theta.shape;
  const logPrior = Float64Array.from(prior, Math.log);
  // −0.5·Σ log(2π·var) per class, summed as np.sum does.
  const logNorm = Float64Array.from(
    { length: nc },
    (_, c) => -0.5 * pairwiseSum((i) => Math.log(2.0 * Math.PI * variance[i]), c * nf, nf),
  );
  const th = theta.data;
  return nbClassifier(o, ctx, nf, (x) => {
    const d = dense(x);
    const out = new Float64Array(d.rows * nc);
    for (let r = 0; r < d.rows; r++) {
      const xo = r * d.cols;
      for (let c = 0; c < nc; c++) {
        const q = pairwiseSum(
          (i) => {
            const t = d.data[xo + i] - th[c * nf + i];
            return (t * t) / variance[c * nf + i];
          },
          0,
          nf,
        );
        out[r * nc + c] = logPrior[c] + (logNorm[c] - 0.5 * q);
      }
    }
    return matrix(d.rows, nc, out);
  });
}

/**
 * `X @ W.T` (W: classes × features) plus a per-class term: dense rows as BLAS GEMM sums them (FMA
 * chains), sparse rows (a text vectorizer's output) as scipy's `csr_matvecs` does, a plain loop over
 * the stored entries.
 */
function linearJll(
  x: SkData,
  w: Float64Array,
  nc: number,
  nf: number,
  add?: Float64Array,
  binarize?: number,
) {
  const out = new Float64Array(x.rows * nc);
  if (x.kind === "csr") {
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < nc; c++) {
        let v = 0;
        for (let t = x.indptr[r]; t < x.indptr[r + 1]; t++) {
          const a = binarize === undefined ? x.data[t] : x.data[t] > binarize ? 1 : 0;
          v += a * w[c * nf + x.indices[t]];
        }
        out[r * nc + c] = add ? v + add[c] : v;
      }
    }
    return matrix(x.rows, nc, out);
  }
  const d = dense(x);
  let data = d.data;
  if (binarize !== undefined) data = Float64Array.from(data, (v) => (v > binarize ? 1 : 0));
  for (let r = 0; r < d.rows; r++) {
    for (let c = 0; c < nc; c++) {
      const v = gemmDot(data, r * d.cols, 1, w, c * nf, 1, nf);
      out[r * nc + c] = add ? v + add[c] : v;
    }
  }
  return matrix(d.rows, nc, out);
}

function discrete(o: PyObject) {
  const flp = floats(need(o, "feature_log_prob_"), `${o.name}.feature_log_prob_`);
  const clp = floats(need(o, "class_log_prior_"), `${o.name}.class_log_prior_`).data;
  const [nc, nf] = flp.shape;
  return { flp: flp.data, clp, nc, nf };
}

/** Builder of `MultinomialNB`. */
export function multinomialNB(o: PyObject, ctx: BuildContext): SkEstimator {
  const { flp, clp, nc, nf } = discrete(o);
  return nbClassifier(o, ctx, nf, (x) => linearJll(x, flp, nc, nf, clp));
}

/** Builder of `ComplementNB`. */
export function complementNB(o: PyObject, ctx: BuildContext): SkEstimator {
  const { flp, clp, nc, nf } = discrete(o);
  // The prior only counts when there is a single class (scikit-learn's choice).
  return nbClassifier(o, ctx, nf, (x) => linearJll(x, flp, nc, nf, nc === 1 ? clp : undefined));
}

/** Builder of `BernoulliNB`. */
export function bernoulliNB(o: PyObject, ctx: BuildContext): SkEstimator {
  const { flp, clp, nc, nf } = discrete(o);
  const b = attr(o, "binarize");
  const threshold = b === undefined || b === null ? undefined : num(b, `${o.name}.binarize`);
  const neg = Float64Array.from(flp, (v) => Math.log(1 - Math.exp(v)));
  const w = Float64Array.from(flp, (v, i) => v - neg[i]);
  const add = Float64Array.from({ length: nc }, (_, c) => clp[c] + sumSlice(neg, c * nf, nf));
  return nbClassifier(o, ctx, nf, (x) => linearJll(x, w, nc, nf, add, threshold));
}
