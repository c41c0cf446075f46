/**
 * @module Builders of the libsvm estimators `SVC`, `NuSVC`, `SVR` and `NuSVR`: kernels summed as
 * libsvm does (support vectors in stored order, BLAS `ddot` for dot products), one-vs-one decision
 * values in libsvm's pair order, voting with its tie rule, sklearn's `ovr` reshaping, and Platt
 * probabilities coupled by libsvm's `multiclass_probability` loop. Ref: sklearn `svm/_base.py`,
 * `svm/src/libsvm/svm.cpp` (`k_function`, `svm_predict_values`, `svm_predict_probability`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { libmExp } from "../../../common/libm-exp.ts";
import { type BlasDots, blasDotsKernel } from "../../../common/wasm-fma.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { checkCount } from "../../checks.ts";
import { dense, matrix } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { blasDot } from "../../numeric.ts";
import { attr, floats, labels, need, num, str, strings } from "../../py-access.ts";
import { sparseLayout, sparseOf } from "../../sparse.ts";
import { type Kernel, powi, sparseKernelOf } from "./sparse-kernel.ts";

function kernelOf(o: PyObject, ctx: BuildContext, sv: Float64Array, nSv: number, nf: number): Kernel {
  const kind = str(attr(o, "kernel")) ?? "rbf";
  if (kind === "precomputed")
    throw Errors.unsupportedModel(
      ctx.file,
      `${o.name} with kernel='precomputed' (requests would have to send kernel values against the training set, not features)`,
    );
  const gamma = num(need(o, "_gamma"), `${o.name}._gamma`);
  const coef0 = num(attr(o, "coef0") ?? 0, `${o.name}.coef0`);
  const degree = num(attr(o, "degree") ?? 3, `${o.name}.degree`);
  const diff = new Float64Array(nf);
  // The ddot of a row with every support vector (for rbf: of their difference with itself, then its
  // exp) with the processor's fused multiply-add (wasm-fma.ts): the same values, made on the first call
  // (a copy of the support vectors), null where the engine cannot and the emulation below serves.
  let fused: BlasDots | null | undefined;
  const products = (x: DenseData, r: number, out: Float64Array): boolean => {
    if (fused === undefined)
      fused = blasDotsKernel(sv, nSv, nf, kind === "rbf", kind === "rbf" ? -gamma : undefined) ?? null;
    if (fused === null) return false;
    fused(x.data, r * x.cols, out, 0);
    return true;
  };
  switch (kind) {
    case "linear":
      return (x, r, out) => {
        if (products(x, r, out)) return;
        for (let i = 0; i < nSv; i++) out[i] = blasDot(x.data, r * x.cols, sv, i * nf, nf);
      };
    case "poly":
      return (x, r, out) => {
        if (products(x, r, out)) for (let i = 0; i < nSv; i++) out[i] = powi(gamma * out[i] + coef0, degree);
        else
          for (let i = 0; i < nSv; i++)
            out[i] = powi(gamma * blasDot(x.data, r * x.cols, sv, i * nf, nf) + coef0, degree);
      };
    case "rbf":
      // Dense libsvm: the difference vector first, then ddot of it with itself.
      return (x, r, out) => {
        if (products(x, r, out)) return;
        const o0 = r * x.cols;
        for (let i = 0; i < nSv; i++) {
          for (let k = 0; k < nf; k++) diff[k] = x.data[o0 + k] - sv[i * nf + k];
          out[i] = libmExp(-gamma * blasDot(diff, 0, diff, 0, nf));
        }
      };
    case "sigmoid":
      return (x, r, out) => {
        if (products(x, r, out)) for (let i = 0; i < nSv; i++) out[i] = Math.tanh(gamma * out[i] + coef0);
        else
          for (let i = 0; i < nSv; i++)
            out[i] = Math.tanh(gamma * blasDot(x.data, r * x.cols, sv, i * nf, nf) + coef0);
      };
    default:
      throw Errors.unsupportedModel(ctx.file, `${o.name} with kernel=${JSON.stringify(kind)}`);
  }
}

interface Libsvm {
  readonly nFeatures: number;
  readonly names?: readonly string[];
  readonly nSv: number;
  readonly kernel: Kernel;
  readonly dual: Float64Array;
  readonly intercept: Float64Array;
}

/** Support vectors kept as a scipy sparse matrix (fitted on sparse data): libsvm's sparse kernels. */
function sparseSupport(o: PyObject, ctx: BuildContext): { nSv: number; nFeatures: number; kernel: Kernel } {
  const kind = str(attr(o, "kernel")) ?? "rbf";
  if (kind === "precomputed")
    return { nSv: 0, nFeatures: 0, kernel: kernelOf(o, ctx, new Float64Array(0), 0, 0) };
  const sv = sparseOf(need(o, "support_vectors_"), `${o.name}.support_vectors_`);
  const kernel = sparseKernelOf(o, ctx, sv, {
    kind,
    gamma: num(need(o, "_gamma"), `${o.name}._gamma`),
    coef0: num(attr(o, "coef0") ?? 0, `${o.name}.coef0`),
    degree: num(attr(o, "degree") ?? 3, `${o.name}.degree`),
  });
  return { nSv: sv.rows, nFeatures: sv.cols, kernel };
}

function libsvmOf(o: PyObject, ctx: BuildContext): Libsvm {
  let nSv: number;
  let nFeatures: number;
  let kernel: Kernel;
  if (attr(o, "_sparse") === true) ({ nSv, nFeatures, kernel } = sparseSupport(o, ctx));
  else {
    const svs = floats(need(o, "support_vectors_"), `${o.name}.support_vectors_`);
    nSv = svs.shape[0] ?? 0;
    nFeatures = svs.shape[1] ?? num(attr(o, "n_features_in_"), `${o.name}.n_features_in_`);
    kernel = kernelOf(o, ctx, svs.data, nSv, nFeatures);
  }
  // The underscore attributes hold libsvm's own signs; the public ones are negated for binary SVC
  // and NuSVC. Files without the former (very old scikit-learn) are read from the latter.
  // A sparse fit keeps the dual coefficients as a scipy CSR matrix too.
  const dualValue = attr(o, "_dual_coef_") ?? need(o, "dual_coef_");
  let dual = sparseLayout(dualValue)
    ? dense(sparseOf(dualValue, `${o.name}._dual_coef_`)).data
    : floats(dualValue, `${o.name}._dual_coef_`).data;
  let intercept = floats(attr(o, "_intercept_") ?? need(o, "intercept_"), `${o.name}._intercept_`).data;
  const classes = attr(o, "classes_");
  const binaryClassifier =
    (o.name === "SVC" || o.name === "NuSVC") &&
    classes !== undefined &&
    labels(classes, `${o.name}.classes_`).length === 2;
  if (binaryClassifier && attr(o, "_dual_coef_") === undefined) dual = dual.map((v) => -v);
  if (binaryClassifier && attr(o, "_intercept_") === undefined) intercept = intercept.map((v) => -v);
  if (dual.length % Math.max(1, nSv) !== 0)
    throw Errors.invalidModel(ctx.file, `${o.name}._dual_coef_ does not match ${nSv} support vectors`);
  return { nFeatures, names: strings(attr(o, "feature_names_in_")), nSv, kernel, dual, intercept };
}

/** libsvm's `sigmoid_predict`, written to avoid cancellation in `1 - p`. */
function sigmoidPredict(d: number, a: number, b: number): number {
  const f = d * a + b;
  return f >= 0 ? libmExp(-f) / (1 + libmExp(-f)) : 1 / (1 + libmExp(f));
}

/** libsvm's `multiclass_probability` (Wu, Lin and Weng's method 2), loop for loop. */
export function multiclassProbability(k: number, r: Float64Array[], p: Float64Array): void {
  const maxIter = Math.max(100, k);
  const q: Float64Array[] = Array.from({ length: k }, () => new Float64Array(k));
  const qp = new Float64Array(k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[t] = 1 / k;
    q[t][t] = 0;
    for (let j = 0; j < t; j++) {
      q[t][t] += r[j][t] * r[j][t];
      q[t][j] = q[j][t];
    }
    for (let j = t + 1; j < k; j++) {
      q[t][t] += r[j][t] * r[j][t];
      q[t][j] = -r[j][t] * r[t][j];
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      qp[t] = 0;
      for (let j = 0; j < k; j++) qp[t] += q[t][j] * p[j];
      pQp += p[t] * qp[t];
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) {
      const error = Math.abs(qp[t] - pQp);
      if (error > maxError) maxError = error;
    }
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const diff = (-qp[t] + pQp) / q[t][t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * q[t][t] + 2 * qp[t])) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        qp[j] = (qp[j] + diff * q[t][j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

/** Builder of `SVC` and `NuSVC`. */
export function svc(o: PyObject, ctx: BuildContext): SkEstimator {
  const m = libsvmOf(o, ctx);
  const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
  const k = classes.length;
  const nPairs = (k * (k - 1)) / 2;
  const nSupport = floats(attr(o, "_n_support") ?? need(o, "n_support_"), `${o.name}._n_support`).data;
  if (nSupport.length !== k)
    throw Errors.invalidModel(
      ctx.file,
      `${o.name}._n_support has ${nSupport.length} counts for ${k} classes`,
    );
  for (const v of nSupport) checkCount(v, o.name, "_n_support", m.nSv);
  if (nSupport.reduce((a, b) => a + b, 0) !== m.nSv)
    throw Errors.invalidModel(ctx.file, `${o.name}._n_support does not add up to ${m.nSv} support vectors`);
  if (m.intercept.length !== nPairs || m.dual.length !== (k - 1) * m.nSv)
    throw Errors.invalidModel(ctx.file, `${o.name} has coefficients for a different number of classes`);
  const start = new Int32Array(k);
  for (let i = 1; i < k; i++) start[i] = start[i - 1] + nSupport[i - 1];
  const shape = str(attr(o, "decision_function_shape")) ?? "ovr";
  const breakTies = attr(o, "break_ties") === true;
  const probability = attr(o, "probability") === true;
  const probA =
    (attr(o, "_probA") ?? attr(o, "probA_")) === undefined
      ? undefined
      : floats(attr(o, "_probA") ?? attr(o, "probA_"), `${o.name}._probA`).data;
  const probB =
    (attr(o, "_probB") ?? attr(o, "probB_")) === undefined
      ? undefined
      : floats(attr(o, "_probB") ?? attr(o, "probB_"), `${o.name}._probB`).data;
  const hasProba =
    probability &&
    probA !== undefined &&
    probB !== undefined &&
    probA.length === nPairs &&
    probB.length === nPairs;

  /** One-vs-one decision values (rows × pairs) and libsvm's votes winner per row. */
  function ovo(x: SkData): { dec: Float64Array; winner: Int32Array; rows: number } {
    const d = dense(x);
    const kv = new Float64Array(m.nSv);
    const dec = new Float64Array(d.rows * nPairs);
    const winner = new Int32Array(d.rows);
    const vote = new Int32Array(k);
    for (let r = 0; r < d.rows; r++) {
      m.kernel(d, r, kv);
      vote.fill(0);
      let p = 0;
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          let sum = 0;
          const si = start[i];
          const sj = start[j];
          const c1 = (j - 1) * m.nSv;
          const c2 = i * m.nSv;
          for (let t = 0; t < nSupport[i]; t++) sum += m.dual[c1 + si + t] * kv[si + t];
          for (let t = 0; t < nSupport[j]; t++) sum += m.dual[c2 + sj + t] * kv[sj + t];
          // libsvm subtracts rho; sklearn stores intercept = -rho.
          sum -= -m.intercept[p];
          dec[r * nPairs + p] = sum;
          if (sum > 0) vote[i]++;
          else vote[j]++;
          p++;
        }
      }
      let best = 0;
      for (let i = 1; i < k; i++) if (vote[i] > vote[best]) best = i;
      winner[r] = best;
    }
    return { dec, winner, rows: d.rows };
  }

  function decision(x: SkData): Matrix {
    const { dec, rows } = ovo(x);
    if (k === 2)
      return matrix(
        rows,
        1,
        Float64Array.from(dec, (v) => -v),
      );
    if (shape !== "ovr") return matrix(rows, nPairs, dec);
    // sklearn's _ovr_decision_function(dec < 0, -dec, k): votes plus squashed summed confidences.
    const out = new Float64Array(rows * k);
    const conf = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      conf.fill(0);
      let p = 0;
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          const v = dec[r * nPairs + p];
          conf[i] -= -v;
          conf[j] += -v;
          if (v < 0) out[r * k + j] += 1;
          else out[r * k + i] += 1;
          p++;
        }
      }
      for (let c = 0; c < k; c++) out[r * k + c] += conf[c] / (3 * (Math.abs(conf[c]) + 1));
    }
    return matrix(rows, k, out);
  }

  const est: SkEstimator = {
    className: o.name,
    role: "classifier",
    nFeaturesIn: m.nFeatures,
    featureNamesIn: m.names,
    classes,
    decisionFunction: decision,
    predict(x): Label[] {
      if (breakTies && shape === "ovr" && k > 2) {
        const d = decision(x);
        const out: Label[] = new Array(d.rows);
        for (let r = 0; r < d.rows; r++) {
          let best = 0;
          for (let c = 1; c < k; c++) if (d.data[r * k + c] > d.data[r * k + best]) best = c;
          out[r] = classes[best];
        }
        return out;
      }
      return Array.from(ovo(x).winner, (w) => classes[w]);
    },
  };
  if (!hasProba) return est;
  const pa = probA as Float64Array;
  const pb = probB as Float64Array;
  return {
    ...est,
    predictProba(x): Matrix {
      const { dec, rows } = ovo(x);
      const out = new Float64Array(rows * k);
      const pair = Array.from({ length: k }, () => new Float64Array(k));
      const pr = new Float64Array(k);
      const minProb = 1e-7;
      for (let r = 0; r < rows; r++) {
        let p = 0;
        for (let i = 0; i < k; i++) {
          for (let j = i + 1; j < k; j++) {
            pair[i][j] = Math.min(
              Math.max(sigmoidPredict(dec[r * nPairs + p], pa[p], pb[p]), minProb),
              1 - minProb,
            );
            pair[j][i] = 1 - pair[i][j];
            p++;
          }
        }
        multiclassProbability(k, pair, pr);
        out.set(pr, r * k);
      }
      return matrix(rows, k, out);
    },
  };
}

/** Builder of `SVR` and `NuSVR`. */
export function svr(o: PyObject, ctx: BuildContext): SkEstimator {
  const m = libsvmOf(o, ctx);
  if (m.dual.length !== m.nSv) throw Errors.invalidModel(ctx.file, `${o.name}._dual_coef_ is not one row`);
  const rho = -m.intercept[0];
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: m.nFeatures,
    featureNamesIn: m.names,
    nOutputs: 1,
    predict(x): DenseData {
      const d = dense(x);
      const kv = new Float64Array(m.nSv);
      const out = new Float64Array(d.rows);
      for (let r = 0; r < d.rows; r++) {
        m.kernel(d, r, kv);
        let sum = 0;
        for (let i = 0; i < m.nSv; i++) sum += m.dual[i] * kv[i];
        out[r] = sum - rho;
      }
      return { kind: "dense", rows: d.rows, cols: 1, data: out };
    },
  };
}
