/**
 * @module Builders of AdaBoostClassifier and AdaBoostRegressor over any rebuilt base estimator.
 * Classifier, 'SAMME': each estimator votes its weight for the class it predicts; from scikit-learn 1.3
 * (the file's version decides) the other classes get `-w/(K-1)` instead of 0, a change that moves
 * probabilities. 'SAMME.R' (until 1.6): `(K-1)·(log p − mean log p)` per estimator, p clipped at float64 eps.
 * Both divide by the sum of `estimator_weights_`; a binary decision is `col1 − col0`; probabilities are the
 * softmax of `decision/(K-1)` (binary: of `[−d, d]/2`). Regressor: the weighted median of the estimators'
 * predictions. Ref: sklearn `ensemble/_weight_boosting.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { matrix, softmaxInPlace } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, labels, need, num, str, strings, versionAtLeast } from "../../py-access.ts";

const EPS = 2.220446049250313e-16;

function members(o: PyObject, ctx: BuildContext): { ests: SkEstimator[]; weights: Float64Array } {
  const list = need(o, "estimators_");
  if (!Array.isArray(list) || list.length === 0)
    throw Errors.invalidModel(ctx.file, `${o.name}.estimators_ is not a non-empty list`);
  const ests = list.map((e: PyValue, i) => {
    if (!isObject(e)) throw Errors.invalidModel(ctx.file, `${o.name}.estimators_[${i}] is not an estimator`);
    return ctx.build(e, `${o.name}.estimators_[${i}]`);
  });
  const weights = floats(need(o, "estimator_weights_"), `${o.name}.estimator_weights_`).data.subarray(
    0,
    ests.length,
  );
  if (weights.length !== ests.length)
    throw Errors.invalidModel(ctx.file, `${o.name}.estimator_weights_ does not match estimators_`);
  return { ests, weights };
}

/** AdaBoostClassifier ('SAMME' or 'SAMME.R'). */
export function adaBoostClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const classes = labels(need(o, "classes_"), "AdaBoostClassifier.classes_");
  const k = classes.length;
  const algorithm = str(attr(o, "algorithm")) ?? "SAMME";
  const real = algorithm === "SAMME.R";
  if (!real && algorithm !== "SAMME" && algorithm !== "deprecated")
    throw Errors.unsupportedModel(ctx.file, `AdaBoostClassifier with algorithm=${algorithm}`);
  const { ests, weights } = members(o, ctx);
  for (const e of ests)
    if (real ? !e.predictProba : !e.predict)
      throw Errors.unsupportedModel(ctx.file, `AdaBoostClassifier over ${e.className}`);
  const symmetric = versionAtLeast(ctx.sklearnVersion, 1, 3);
  let total = 0;
  for (const w of weights) total += w;
  const index = new Map<string, number>(classes.map((c, i) => [`${typeof c}:${String(c)}`, i]));
  // The summed, normalised per-class scores (rows × K), as `pred` before the binary reduction.
  const scores = (x: SkData): Float64Array => {
    let pred: Float64Array | undefined;
    ests.forEach((e, m) => {
      let part: Float64Array;
      if (real) {
        const p = e.predictProba!(x);
        part = new Float64Array(p.rows * k);
        for (let r = 0; r < p.rows; r++) {
          let s = 0;
          for (let c = 0; c < k; c++) {
            const l = Math.log(Math.max(p.data[r * k + c], EPS));
            part[r * k + c] = l;
            s += l;
          }
          for (let c = 0; c < k; c++) part[r * k + c] = (k - 1) * (part[r * k + c] - (1 / k) * s);
        }
      } else {
        const labelsOut = e.predict!(x) as readonly Label[];
        const w = weights[m];
        const other = symmetric ? (-1 / (k - 1)) * w : 0;
        part = new Float64Array(labelsOut.length * k).fill(other);
        labelsOut.forEach((l, r) => {
          const c = index.get(`${typeof l}:${String(l)}`);
          if (c !== undefined) part[r * k + c] = w;
        });
      }
      if (!pred) pred = part;
      else for (let i = 0; i < pred.length; i++) pred[i] += part[i];
    });
    const out = pred!;
    for (let i = 0; i < out.length; i++) out[i] /= total;
    return out;
  };
  const decision = (x: SkData): Matrix => {
    const s = scores(x);
    const rows = s.length / k;
    if (k !== 2) return matrix(rows, k, s);
    const d = new Float64Array(rows);
    for (let r = 0; r < rows; r++) d[r] = -s[r * 2] + s[r * 2 + 1];
    return matrix(rows, 1, d);
  };
  const n = attr(o, "n_features_in_");
  return {
    className: o.name,
    role: "classifier",
    classes,
    nFeaturesIn: n === undefined ? ests[0].nFeaturesIn : num(n, "AdaBoostClassifier.n_features_in_"),
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? ests[0].featureNamesIn,
    decisionFunction: decision,
    predict(x) {
      const d = decision(x);
      const out: Label[] = new Array(d.rows);
      for (let r = 0; r < d.rows; r++) {
        if (k === 2) out[r] = classes[d.data[r] > 0 ? 1 : 0];
        else {
          let best = 0;
          for (let c = 1; c < k; c++) if (d.data[r * k + c] > d.data[r * k + best]) best = c;
          out[r] = classes[best];
        }
      }
      return out;
    },
    predictProba(x) {
      const d = decision(x);
      const out = new Float64Array(d.rows * k);
      for (let r = 0; r < d.rows; r++) {
        if (k === 2) {
          out[r * 2] = -d.data[r] / 2;
          out[r * 2 + 1] = d.data[r] / 2;
        } else for (let c = 0; c < k; c++) out[r * k + c] = d.data[r * k + c] / (k - 1);
      }
      softmaxInPlace(out, d.rows, k);
      return matrix(d.rows, k, out);
    },
  };
}

/** AdaBoostRegressor: the weighted median of the estimators' predictions. */
export function adaBoostRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const { ests, weights } = members(o, ctx);
  for (const e of ests)
    if (!e.predict) throw Errors.unsupportedModel(ctx.file, `AdaBoostRegressor over ${e.className}`);
  const n = attr(o, "n_features_in_");
  return {
    className: o.name,
    role: "regressor",
    nOutputs: 1,
    nFeaturesIn: n === undefined ? ests[0].nFeaturesIn : num(n, "AdaBoostRegressor.n_features_in_"),
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? ests[0].featureNamesIn,
    predict(x): DenseData {
      const preds = ests.map((e) => (e.predict!(x) as DenseData).data);
      const rows = preds[0].length;
      const m = ests.length;
      const out = new Float64Array(rows);
      const order = new Int32Array(m);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < m; i++) order[i] = i;
        order.sort((a, b) => preds[a][r] - preds[b][r] || a - b);
        // First position whose cumulative weight reaches half the total (cumsum then `>=`, argmax).
        let cum = 0;
        let pick = m - 1;
        const cdf = new Float64Array(m);
        for (let i = 0; i < m; i++) {
          cum += weights[order[i]];
          cdf[i] = cum;
        }
        for (let i = 0; i < m; i++) {
          if (cdf[i] >= 0.5 * cdf[m - 1]) {
            pick = i;
            break;
          }
        }
        out[r] = preds[order[pick]][r];
      }
      return { kind: "dense", rows, cols: 1, data: out };
    },
  };
}
