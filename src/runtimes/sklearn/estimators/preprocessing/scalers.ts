/**
 * @module Builders of the element-wise and row-wise scalers: StandardScaler, MinMaxScaler,
 * RobustScaler, MaxAbsScaler and Normalizer. Ref: sklearn `preprocessing/_data.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { checkWidth } from "../../checks.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, need, num, str, strings } from "../../py-access.ts";

/** `feature_names_in_` and `n_features_in_` of a fitted transformer. */
export function fittedInputs(o: PyObject): { names?: string[]; nFeatures?: number } {
  const names = strings(attr(o, "feature_names_in_"));
  const n = attr(o, "n_features_in_");
  return { names, nFeatures: n === undefined ? names?.length : num(n, `${o.name}.n_features_in_`) };
}

/** A float array attribute, or undefined when absent or None (e.g. `center_` without centering). */
export function optionalArray(o: PyObject, key: string): Float64Array | undefined {
  const v = attr(o, key);
  return v === undefined || v === null ? undefined : floats(v, `${o.name}.${key}`).data;
}

/** `x = (x - shift) / scale` per column, in that order (sklearn subtracts, then divides in place). */
function columnwise(
  o: PyObject,
  shift: Float64Array | undefined,
  scale: Float64Array | undefined,
): SkEstimator {
  const { names, nFeatures } = fittedInputs(o);
  if (shift) checkWidth(shift.length, nFeatures, o.name, "shift (mean_, center_ or min_)");
  if (scale) checkWidth(scale.length, nFeatures, o.name, "scale_");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    // NaN passes through these scalers unchanged, as in scikit-learn.
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      const c = d.cols;
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < c; j++) {
          let v = d.data[r * c + j];
          if (shift) v -= shift[j];
          if (scale) v /= scale[j];
          out[r * c + j] = v;
        }
      }
      return { kind: "dense", rows: d.rows, cols: c, data: out };
    },
    // scikit-learn's inverse: multiply by the scale, then add the shift back.
    inverseTransform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      const c = d.cols;
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < c; j++) {
          let v = d.data[r * c + j];
          if (scale) v *= scale[j];
          if (shift) v += shift[j];
          out[r * c + j] = v;
        }
      }
      return { kind: "dense", rows: d.rows, cols: c, data: out };
    },
  };
}

/** Builder of `StandardScaler`. */
export function standardScaler(o: PyObject): SkEstimator {
  const est = columnwise(
    o,
    attr(o, "with_mean") === false ? undefined : optionalArray(o, "mean_"),
    attr(o, "with_std") === false ? undefined : optionalArray(o, "scale_"),
  );
  // mean_ and var_ are learned whatever with_mean/with_std say (unless both are off): the training moments.
  const mean = optionalArray(o, "mean_");
  const variance = optionalArray(o, "var_");
  if (!mean || !variance || mean.length !== variance.length) return est;
  return { ...est, trainingMoments: () => ({ mean, std: variance.map(Math.sqrt) }) };
}

/** Builder of `MinMaxScaler`. */
export function minMaxScaler(o: PyObject): SkEstimator {
  const scale = optionalArray(o, "scale_")!;
  const min = optionalArray(o, "min_")!;
  const clip = attr(o, "clip") === true;
  const range = floats(need(o, "feature_range"), "MinMaxScaler.feature_range").data;
  // sklearn: X * scale_ + min_, then optional clipping to feature_range.
  const { names, nFeatures } = fittedInputs(o);
  checkWidth(scale.length, nFeatures, o.name, "scale_");
  checkWidth(min.length, nFeatures, o.name, "min_");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < d.cols; j++) {
          let v = d.data[r * d.cols + j] * scale[j];
          v += min[j];
          if (clip) v = Math.min(range[1], Math.max(range[0], v));
          out[r * d.cols + j] = v;
        }
      }
      return { kind: "dense", rows: d.rows, cols: d.cols, data: out };
    },
    // scikit-learn: X -= min_, X /= scale_ (clipping is not undone).
    inverseTransform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++)
        for (let j = 0; j < d.cols; j++) out[r * d.cols + j] = (d.data[r * d.cols + j] - min[j]) / scale[j];
      return { kind: "dense", rows: d.rows, cols: d.cols, data: out };
    },
  };
}

/** RobustScaler: `(x - center_) / scale_`, either part skipped when its flag is off (then the attribute is None). */
export function robustScaler(o: PyObject): SkEstimator {
  return columnwise(
    o,
    attr(o, "with_centering") === false ? undefined : optionalArray(o, "center_"),
    attr(o, "with_scaling") === false ? undefined : optionalArray(o, "scale_"),
  );
}

/** MaxAbsScaler: `x / scale_` (scale_ already has zeros replaced by 1 at fit time). */
export function maxAbsScaler(o: PyObject): SkEstimator {
  return columnwise(o, undefined, optionalArray(o, "scale_"));
}

/** Normalizer: each row divided by its l1, l2 or max norm; a zero norm leaves the row as is. */
export function normalizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const norm = str(attr(o, "norm")) ?? "l2";
  if (norm !== "l1" && norm !== "l2" && norm !== "max")
    throw Errors.unsupportedModel(ctx.file, `Normalizer with norm=${norm}`);
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    transform(x) {
      const d = dense(x);
      const c = d.cols;
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++) {
        const o0 = r * c;
        let n = 0;
        for (let j = 0; j < c; j++) {
          const v = d.data[o0 + j];
          if (norm === "l1") n += Math.abs(v);
          else if (norm === "l2") n += v * v;
          else n = Math.max(n, Math.abs(v));
        }
        if (norm === "l2") n = Math.sqrt(n);
        // sklearn's _handle_zeros_in_scale: a zero norm becomes 1.
        if (n === 0) n = 1;
        for (let j = 0; j < c; j++) out[o0 + j] = d.data[o0 + j] / n;
      }
      return { kind: "dense", rows: d.rows, cols: c, data: out };
    },
  };
}
