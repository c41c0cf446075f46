/**
 * @module Builders of the feature selectors: each keeps the input columns of its support mask, computed from
 * the fitted attributes as scikit-learn's `_get_support_mask` does. VarianceThreshold `variances_ >
 * threshold`; SelectKBest the k best `scores_` (NaN scores count as the lowest float, a stable sort decides
 * ties); SelectPercentile `scores_ > np.percentile(scores_, 100 − p)` plus the first ties up to
 * `int(n·p/100)`; SelectFpr/SelectFwe/SelectFdr on `pvalues_`; RFE/RFECV their stored `support_`, with
 * `estimator_` (fitted on the kept columns) answering predict. Ref: sklearn `feature_selection/`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, need, num, str } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

const FLOAT64_MIN = -Number.MAX_VALUE;

/** `_clean_nans`: NaN scores become the lowest float64. */
function cleanScores(o: PyObject): Float64Array {
  return Float64Array.from(floats(need(o, "scores_"), `${o.name}.scores_`).data, (v) =>
    Number.isNaN(v) ? FLOAT64_MIN : v,
  );
}

/** numpy's `percentile(a, q)` with the default linear method (its `_lerp`, exact at both ends). */
function percentile(values: Float64Array, q: number): number {
  const a = Float64Array.from(values).sort();
  const n = a.length;
  const virtual = (n - 1) * (q / 100);
  const lo = Math.floor(virtual);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtual - lo;
  const diff = a[hi] - a[lo];
  return t >= 0.5 ? a[hi] - diff * (1 - t) : a[lo] + diff * t;
}

function kBestMask(o: PyObject): Uint8Array {
  const scores = cleanScores(o);
  const kAttr = attr(o, "k");
  const mask = new Uint8Array(scores.length);
  if (str(kAttr) === "all") return mask.fill(1);
  const k = num(kAttr, "SelectKBest.k");
  if (k === 0) return mask;
  // Stable ascending order (mergesort), then the last k.
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || a - b);
  for (const i of order.slice(Math.max(order.length - k, 0))) mask[i] = 1;
  return mask;
}

function percentileMask(o: PyObject): Uint8Array {
  const p = num(need(o, "percentile"), "SelectPercentile.percentile");
  const raw = floats(need(o, "scores_"), "SelectPercentile.scores_").data;
  const mask = new Uint8Array(raw.length);
  if (p === 100) return mask.fill(1);
  if (p === 0) return mask;
  const scores = cleanScores(o);
  const threshold = percentile(scores, 100 - p);
  let kept = 0;
  scores.forEach((s, i) => {
    if (s > threshold) {
      mask[i] = 1;
      kept++;
    }
  });
  const maxFeats = Math.trunc((scores.length * p) / 100);
  let room = maxFeats - kept;
  for (let i = 0; i < scores.length && room > 0; i++) {
    if (scores[i] === threshold) {
      mask[i] = 1;
      room--;
    }
  }
  return mask;
}

function pvalueMask(o: PyObject): Uint8Array {
  const p = floats(need(o, "pvalues_"), `${o.name}.pvalues_`).data;
  const alpha = num(need(o, "alpha"), `${o.name}.alpha`);
  const n = p.length;
  if (o.name === "SelectFpr") return Uint8Array.from(p, (v) => (v < alpha ? 1 : 0));
  if (o.name === "SelectFwe") return Uint8Array.from(p, (v) => (v < alpha / n ? 1 : 0));
  // SelectFdr (Benjamini-Hochberg): the largest sorted p-value under alpha/n·rank, then all up to it.
  const sorted = Float64Array.from(p).sort();
  let max = Number.NaN;
  sorted.forEach((v, i) => {
    if (v <= (alpha / n) * (i + 1)) max = Number.isNaN(max) ? v : Math.max(max, v);
  });
  return Uint8Array.from(p, (v) => (!Number.isNaN(max) && v <= max ? 1 : 0));
}

function maskFor(o: PyObject): Uint8Array {
  switch (o.name) {
    case "VarianceThreshold": {
      const v = floats(need(o, "variances_"), "VarianceThreshold.variances_").data;
      const t = num(attr(o, "threshold") ?? 0, "VarianceThreshold.threshold");
      return Uint8Array.from(v, (x) => (x > t ? 1 : 0));
    }
    case "SelectKBest":
      return kBestMask(o);
    case "SelectPercentile":
      return percentileMask(o);
    case "RFE":
    case "RFECV":
      return Uint8Array.from(floats(need(o, "support_"), `${o.name}.support_`).data, (x) => (x ? 1 : 0));
    default:
      return pvalueMask(o);
  }
}

/** The columns of `x` kept by the mask. */
function selecting(mask: Uint8Array, name: string): (x: SkData) => DenseData {
  const kept = Int32Array.from(Array.from(mask.keys()).filter((i) => mask[i] === 1));
  return (x) => {
    const d = dense(x);
    if (d.cols !== mask.length) throw new DataError(`${name} expects ${mask.length} features, got ${d.cols}`);
    const out = new Float64Array(d.rows * kept.length);
    for (let r = 0; r < d.rows; r++)
      for (let k = 0; k < kept.length; k++) out[r * kept.length + k] = d.data[r * d.cols + kept[k]];
    return { kind: "dense", rows: d.rows, cols: kept.length, data: out };
  };
}

/** Builder of the univariate selectors and `VarianceThreshold`. */
export function selector(o: PyObject, _ctx: BuildContext): SkEstimator {
  const mask = maskFor(o);
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? mask.length,
    featureNamesIn: names,
    // Selection copies values: NaN passes through (VarianceThreshold allows it; the others leave it as is).
    allowsMissing: true,
    transform: selecting(mask, o.name),
  };
}

/** RFE / RFECV: the selection, then `estimator_` (fitted on the kept columns) for predictions. */
export function rfe(o: PyObject, ctx: BuildContext): SkEstimator {
  const base = selector(o, ctx);
  const inner: PyValue | undefined = attr(o, "estimator_");
  if (!isObject(inner)) throw Errors.invalidModel(ctx.file, `${o.name}.estimator_ is missing`);
  const est = ctx.build(inner, `${o.name}.estimator_`);
  const pick = base.transform as (x: SkData) => DenseData;
  return {
    ...base,
    role: est.role,
    classes: est.classes,
    nOutputs: est.nOutputs,
    ...(est.outputClasses ? { outputClasses: est.outputClasses } : {}),
    ...(est.outputNames ? { outputNames: est.outputNames } : {}),
    allowsMissing: est.allowsMissing,
    predictIsArgmaxProba: est.predictIsArgmaxProba,
    ...(est.predict ? { predict: (x: SkData) => est.predict!(pick(x)) } : {}),
    ...(est.predictLabelRows ? { predictLabelRows: (x: SkData) => est.predictLabelRows!(pick(x)) } : {}),
    ...(est.predictProba ? { predictProba: (x: SkData) => est.predictProba!(pick(x)) } : {}),
    ...(est.decisionFunction ? { decisionFunction: (x: SkData) => est.decisionFunction!(pick(x)) } : {}),
  };
}
