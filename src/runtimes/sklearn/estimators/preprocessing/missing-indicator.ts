/**
 * @module Builder of a standalone MissingIndicator: one 0/1 column per feature in `features_`
 * ('missing-only': those that had missing values at fit time; 'all': every feature), missing meaning NaN
 * or the numeric `missing_values`. With `error_on_new` (the default), a missing value in a feature
 * outside `features_` is refused as scikit-learn refuses it. Ref: sklearn `impute/_base.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, need, num, str } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** MissingIndicator (numeric missing markers), dense 0/1 output. */
export function missingIndicator(o: PyObject, ctx: BuildContext): SkEstimator {
  const mv = attr(o, "missing_values");
  if (str(mv) !== undefined)
    throw Errors.unsupportedModel(ctx.file, `MissingIndicator with missing_values='${str(mv)}'`);
  const marker = mv === undefined || mv === null ? Number.NaN : num(mv, "MissingIndicator.missing_values");
  const isMissing = Number.isNaN(marker) ? (v: number) => Number.isNaN(v) : (v: number) => v === marker;
  const features = Int32Array.from(floats(need(o, "features_"), "MissingIndicator.features_").data);
  const onlyMissing = (str(attr(o, "features")) ?? "missing-only") === "missing-only";
  const errorOnNew = attr(o, "error_on_new") !== false;
  const selected = new Set(features);
  const { names, nFeatures } = fittedInputs(o);
  const n = nFeatures ?? num(need(o, "_n_features"), "MissingIndicator._n_features");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: n,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      if (d.cols !== n) throw new DataError(`MissingIndicator expects ${n} features, got ${d.cols}`);
      const w = features.length;
      const out = new Float64Array(d.rows * w);
      for (let r = 0; r < d.rows; r++) {
        if (onlyMissing && errorOnNew) {
          for (let j = 0; j < d.cols; j++)
            if (!selected.has(j) && isMissing(d.data[r * d.cols + j]))
              throw new DataError(
                `feature ${names?.[j] ?? j} has missing values, which it had none of at fit time`,
              );
        }
        for (let k = 0; k < w; k++) out[r * w + k] = isMissing(d.data[r * d.cols + features[k]]) ? 1 : 0;
      }
      return { kind: "dense", rows: d.rows, cols: w, data: out };
    },
  };
}
