/**
 * @module Builders of CalibratedClassifierCV ('sigmoid' and 'isotonic') and IsotonicRegression. Each of
 * `calibrated_classifiers_` turns its estimator's decision function (or positive-class probabilities when
 * it has none) into one calibrated column per class, `1 − p` for the negative class when binary, rows
 * renormalised otherwise (uniform when they sum to 0); values in (1, 1 + 1e-5] are set to 1, and the
 * probabilities of all calibrated classifiers are averaged. Sigmoid: `expit(−(a·t + b))`. Isotonic: scipy's
 * `interp1d` over the thresholds after clipping. Ref: sklearn `calibration.py`, `isotonic.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { argmaxLabels, DataError, dense, expit, matrix } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, labels, need, num, str, strings } from "../../py-access.ts";

/** A 1-d calibration map. */
type Calibrator = (t: number) => number;

/** IsotonicRegression's prediction: clip (when out_of_bounds='clip'), then interp1d's linear interpolation. */
function isotonicMap(o: PyObject, ctx: BuildContext): Calibrator {
  const xs = floats(need(o, "X_thresholds_"), "IsotonicRegression.X_thresholds_").data;
  const ys = floats(need(o, "y_thresholds_"), "IsotonicRegression.y_thresholds_").data;
  if (xs.length !== ys.length || xs.length === 0)
    throw Errors.invalidModel(ctx.file, "IsotonicRegression thresholds do not match");
  const bounds = str(attr(o, "out_of_bounds")) ?? "nan";
  const lo = xs[0];
  const hi = xs[xs.length - 1];
  const n = xs.length;
  return (t) => {
    if (n === 1) return ys[0];
    let v = t;
    if (bounds === "clip") v = Math.min(hi, Math.max(lo, v));
    else if (v < lo || v > hi) {
      if (bounds === "raise") throw new DataError(`a value (${t}) is outside the isotonic fit's range`);
      return Number.NaN;
    }
    // interp1d: idx = searchsorted(x, v) (left), clipped to 1…n-1; y = slope·(v − x[lo]) + y[lo].
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (xs[mid] < v) a = mid + 1;
      else b = mid;
    }
    const idx = Math.min(Math.max(a, 1), n - 1);
    const slope = (ys[idx] - ys[idx - 1]) / (xs[idx] - xs[idx - 1]);
    return slope * (v - xs[idx - 1]) + ys[idx - 1];
  };
}

function calibratorOf(c: PyValue, ctx: BuildContext): Calibrator {
  if (!isObject(c)) throw Errors.invalidModel(ctx.file, "a calibrator is not an object");
  if (c.name === "_SigmoidCalibration") {
    const a = num(need(c, "a_"), "_SigmoidCalibration.a_");
    const b = num(need(c, "b_"), "_SigmoidCalibration.b_");
    return (t) => expit(-(a * t + b));
  }
  if (c.name === "IsotonicRegression") return isotonicMap(c, ctx);
  throw Errors.unsupportedModel(ctx.file, `a ${c.name} calibrator`);
}

function itemsOf(v: PyValue | undefined): PyValue[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "object" && v !== null && "kind" in v && v.kind === "tuple") return [...v.items];
  return [];
}

/** One `_CalibratedClassifier`: rows × K probabilities in `classes` order. */
function calibratedMember(
  o: PyObject,
  classes: readonly Label[],
  ctx: BuildContext,
): (x: SkData) => Float64Array {
  const method = str(attr(o, "method")) ?? "sigmoid";
  if (method !== "sigmoid" && method !== "isotonic")
    throw Errors.unsupportedModel(ctx.file, `CalibratedClassifierCV with method=${method}`);
  const inner = attr(o, "estimator") ?? attr(o, "base_estimator");
  if (!isObject(inner)) throw Errors.invalidModel(ctx.file, "_CalibratedClassifier has no estimator");
  const est = ctx.build(inner, `${o.name}.estimator`);
  const calibrators = itemsOf(attr(o, "calibrators") ?? attr(o, "calibrators_")).map((c) =>
    calibratorOf(c, ctx),
  );
  const k = classes.length;
  const key = (l: Label) => `${typeof l}:${String(l)}`;
  const where = new Map(classes.map((c, i) => [key(c), i]));
  const own = est.classes ?? classes;
  const columns = own.map((c) => {
    const i = where.get(key(c));
    if (i === undefined)
      throw Errors.invalidModel(ctx.file, `calibrated estimator class ${String(c)} is not among classes_`);
    return k === 2 ? i + 1 : i;
  });
  if (!est.decisionFunction && !est.predictProba)
    throw Errors.unsupportedModel(
      ctx.file,
      `CalibratedClassifierCV over ${est.className} (no decision function)`,
    );
  return (x) => {
    let pred: Matrix;
    if (est.decisionFunction) pred = est.decisionFunction(x);
    else {
      const p = est.predictProba!(x);
      pred =
        p.cols === 2 && k === 2
          ? matrix(
              p.rows,
              1,
              Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]),
            )
          : p;
    }
    const rows = pred.rows;
    const proba = new Float64Array(rows * k);
    const m = Math.min(pred.cols, calibrators.length);
    for (let j = 0; j < m; j++) {
      const col = columns[j];
      for (let r = 0; r < rows; r++) proba[r * k + col] = calibrators[j](pred.data[r * pred.cols + j]);
    }
    for (let r = 0; r < rows; r++) {
      if (k === 2) proba[r * 2] = 1 - proba[r * 2 + 1];
      else {
        let s = 0;
        for (let c = 0; c < k; c++) s += proba[r * k + c];
        for (let c = 0; c < k; c++) proba[r * k + c] = s !== 0 ? proba[r * k + c] / s : 1 / k;
      }
      for (let c = 0; c < k; c++)
        if (proba[r * k + c] > 1 && proba[r * k + c] <= 1 + 1e-5) proba[r * k + c] = 1;
    }
    return proba;
  };
}

/** CalibratedClassifierCV: the mean of its calibrated classifiers' probabilities. */
export function calibratedClassifierCV(o: PyObject, ctx: BuildContext): SkEstimator {
  const classes = labels(need(o, "classes_"), "CalibratedClassifierCV.classes_");
  const list = itemsOf(need(o, "calibrated_classifiers_"));
  if (list.length === 0)
    throw Errors.invalidModel(ctx.file, "CalibratedClassifierCV has no calibrated classifiers");
  const members = list.map((c, i) => {
    if (!isObject(c)) throw Errors.invalidModel(ctx.file, `calibrated_classifiers_[${i}] is not an object`);
    return calibratedMember(c, classes, ctx);
  });
  const k = classes.length;
  const proba = (x: SkData): Matrix => {
    let sum: Float64Array | undefined;
    for (const m of members) {
      const p = m(x);
      if (!sum) sum = p;
      else for (let i = 0; i < sum.length; i++) sum[i] += p[i];
    }
    const out = sum!;
    for (let i = 0; i < out.length; i++) out[i] /= members.length;
    return matrix(out.length / k, k, out);
  };
  const n = attr(o, "n_features_in_");
  return {
    className: o.name,
    role: "classifier",
    classes,
    nFeaturesIn: n === undefined ? undefined : num(n, "CalibratedClassifierCV.n_features_in_"),
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    predictProba: proba,
    predictIsArgmaxProba: true,
    predict: (x) => argmaxLabels(proba(x), classes),
  };
}

/** IsotonicRegression served alone (one input feature). */
export function isotonicRegression(o: PyObject, ctx: BuildContext): SkEstimator {
  const f = isotonicMap(o, ctx);
  return {
    className: o.name,
    role: "regressor",
    nOutputs: 1,
    nFeaturesIn: 1,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    predict(x) {
      const d = dense(x);
      if (d.cols !== 1) throw new DataError(`IsotonicRegression takes one feature, got ${d.cols}`);
      return { kind: "dense", rows: d.rows, cols: 1, data: Float64Array.from(d.data, f) };
    },
  };
}
