/**
 * @module Builders of linear models: `X·coef_ᵀ + intercept_`, with scikit-learn's probability rules
 * for logistic regression (one-vs-rest or multinomial, by `multi_class`, solver and version) and
 * SGD. Dot products are summed in feature order; BLAS may order them otherwise (≤ 1e-15 relative).
 * Ref: sklearn `linear_model/_base.py`, `_logistic.py`, `_stochastic_gradient.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { expect } from "../../checks.ts";
import { argmaxLabels, DataError, dense, expit, matrix, softmaxInPlace } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, labels, need, num, str, strings, versionAtLeast } from "../../py-access.ts";

interface Linear {
  readonly nFeatures: number;
  readonly names?: readonly string[];
  /** Outputs × features. */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  readonly outputs: number;
  decision(x: SkData): Matrix;
}

function linearOf(o: PyObject): Linear {
  const c = floats(need(o, "coef_"), `${o.name}.coef_`);
  const nFeatures = c.shape.length === 2 ? c.shape[1] : c.shape[0];
  const outputs = c.shape.length === 2 ? c.shape[0] : 1;
  const icept = attr(o, "intercept_");
  const intercept =
    icept === undefined ||
    icept === null ||
    typeof icept === "number" ||
    (typeof icept === "object" && "kind" in icept && icept.kind === "scalar")
      ? Float64Array.from({ length: outputs }, () =>
          icept === undefined || icept === null ? 0 : num(icept, `${o.name}.intercept_`),
        )
      : floats(icept, `${o.name}.intercept_`).data;
  if (intercept.length !== outputs && intercept.length !== 1)
    throw Errors.invalidModel(o.name, `intercept_ has ${intercept.length} values for ${outputs} outputs`);
  const coef = c.data;
  return {
    nFeatures,
    names: strings(attr(o, "feature_names_in_")),
    coef,
    intercept,
    outputs,
    decision(x) {
      if (x.kind === "csr") {
        // Sparse rows (text pipelines): stored entries in index order, as scipy's sparse product sums them;
        // the skipped zeros add nothing, so this equals the dense sum.
        if (x.cols !== nFeatures)
          throw new DataError(`${o.name} expects ${nFeatures} features, got ${x.cols}`);
        const out = new Float64Array(x.rows * outputs);
        for (let r = 0; r < x.rows; r++) {
          for (let k = 0; k < outputs; k++) {
            let s = 0;
            for (let p = x.indptr[r]; p < x.indptr[r + 1]; p++)
              s += x.data[p] * coef[k * nFeatures + x.indices[p]];
            out[r * outputs + k] = s + intercept[intercept.length === 1 ? 0 : k];
          }
        }
        return matrix(x.rows, outputs, out);
      }
      const d = dense(x);
      const out = new Float64Array(d.rows * outputs);
      for (let r = 0; r < d.rows; r++) {
        for (let k = 0; k < outputs; k++) {
          let s = 0;
          for (let j = 0; j < nFeatures; j++) s += d.data[r * d.cols + j] * coef[k * nFeatures + j];
          out[r * outputs + k] = s + intercept[intercept.length === 1 ? 0 : k];
        }
      }
      return matrix(d.rows, outputs, out);
    },
  };
}

function softmaxRows(m: Matrix): Matrix {
  const out = Float64Array.from(m.data);
  softmaxInPlace(out, m.rows, m.cols);
  return matrix(m.rows, m.cols, out);
}

/** One-vs-rest probabilities: expit of each decision, normalised (binary: `[1-p, p]`). */
function ovrProba(d: Matrix): Matrix {
  if (d.cols === 1) {
    const out = new Float64Array(d.rows * 2);
    for (let r = 0; r < d.rows; r++) {
      const p = expit(d.data[r]);
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
    return matrix(d.rows, 2, out);
  }
  const out = new Float64Array(d.data.length);
  for (let r = 0; r < d.rows; r++) {
    let sum = 0;
    for (let c = 0; c < d.cols; c++) {
      out[r * d.cols + c] = expit(d.data[r * d.cols + c]);
      sum += out[r * d.cols + c];
    }
    for (let c = 0; c < d.cols; c++) out[r * d.cols + c] /= sum;
  }
  return matrix(d.rows, d.cols, out);
}

/** Labels from a decision function: binary by sign (> 0 → second class), else argmax. */
function decisionLabels(d: Matrix, classes: readonly Label[]): Label[] {
  if (d.cols === 1) return Array.from(d.data, (v) => classes[v > 0 ? 1 : 0]);
  return argmaxLabels(d, classes);
}

/** `classes_`, or RidgeClassifier's, which lives in its label binarizer. */
function classesOf(o: PyObject): Label[] {
  const direct = attr(o, "classes_");
  if (direct !== undefined) return labels(direct, `${o.name}.classes_`);
  const lb = attr(o, "_label_binarizer");
  if (isObject(lb)) return labels(need(lb, "classes_"), `${o.name}._label_binarizer.classes_`);
  return labels(need(o, "classes_"), `${o.name}.classes_`);
}

/** A linear classifier: `RidgeClassifier`, `LinearSVC`, `Perceptron`. */
export function classifier(o: PyObject, proba?: (d: Matrix) => Matrix): SkEstimator {
  const lin = linearOf(o);
  const classes = classesOf(o);
  // One coefficient row per class (one for two classes): else a label would be read past classes_.
  const rows = classes.length === 2 ? 1 : classes.length;
  expect(lin.outputs === rows, o.name, "coef_", `${rows} rows for ${classes.length} classes`, lin.outputs);
  expect(
    lin.intercept.length === rows || lin.intercept.length === 1,
    o.name,
    "intercept_",
    `${rows} values`,
    lin.intercept.length,
  );
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: lin.nFeatures,
    featureNamesIn: lin.names,
    classes,
    decisionFunction: (x) => lin.decision(x),
    predict: (x) => decisionLabels(lin.decision(x), classes),
    ...(proba ? { predictProba: (x: SkData) => proba(lin.decision(x)) } : {}),
  };
}

/** Builder of `LogisticRegression`. */
export function logistic(o: PyObject, ctx: BuildContext): SkEstimator {
  const classes = classesOf(o);
  const mc = str(attr(o, "multi_class")) ?? "auto";
  const solver = str(attr(o, "solver")) ?? "lbfgs";
  let ovr: boolean;
  if (mc === "ovr" || mc === "warn") ovr = true;
  else if (mc === "multinomial") ovr = false;
  else
    ovr =
      classes.length <= 2 ||
      solver === "liblinear" ||
      (solver === "newton-cholesky" && !versionAtLeast(ctx.sklearnVersion, 1, 5));
  const proba = ovr
    ? ovrProba
    : (d: Matrix) => {
        if (d.cols !== 1) return softmaxRows(d);
        const two = new Float64Array(d.rows * 2);
        for (let r = 0; r < d.rows; r++) {
          two[2 * r] = -d.data[r];
          two[2 * r + 1] = d.data[r];
        }
        return softmaxRows(matrix(d.rows, 2, two));
      };
  return classifier(o, proba);
}

/** Builder of `SGDClassifier`. */
export function sgdClassifier(o: PyObject): SkEstimator {
  const loss = str(attr(o, "loss")) ?? "hinge";
  if (loss === "log_loss" || loss === "log") return classifier(o, ovrProba);
  if (loss === "modified_huber") {
    return classifier(o, (d) => {
      if (d.cols === 1) {
        const out = new Float64Array(d.rows * 2);
        for (let r = 0; r < d.rows; r++) {
          const p = (Math.min(1, Math.max(-1, d.data[r])) + 1) / 2;
          out[2 * r] = 1 - p;
          out[2 * r + 1] = p;
        }
        return matrix(d.rows, 2, out);
      }
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++) {
        let sum = 0;
        for (let c = 0; c < d.cols; c++) {
          out[r * d.cols + c] = (Math.min(1, Math.max(-1, d.data[r * d.cols + c])) + 1) / 2;
          sum += out[r * d.cols + c];
        }
        for (let c = 0; c < d.cols; c++)
          out[r * d.cols + c] = sum === 0 ? 1 / d.cols : out[r * d.cols + c] / sum;
      }
      return matrix(d.rows, d.cols, out);
    });
  }
  return classifier(o);
}

/** Builder of the linear regressors (`LinearRegression`, `Ridge`, `Lasso`, `ElasticNet`, `SGDRegressor`, `LinearSVR`). */
export function regressor(o: PyObject): SkEstimator {
  const lin = linearOf(o);
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: lin.nFeatures,
    featureNamesIn: lin.names,
    nOutputs: lin.outputs,
    predict(x) {
      const d = lin.decision(x);
      return { kind: "dense", rows: d.rows, cols: d.cols, data: d.data };
    },
  };
}
