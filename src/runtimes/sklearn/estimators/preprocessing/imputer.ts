/**
 * @module Builder of SimpleImputer over numeric data: missing entries (NaN or a chosen number) replaced by
 * the fitted `statistics_`, columns whose statistic is NaN dropped (sklearn drops never-observed features
 * unless `keep_empty_features`), and the MissingIndicator columns appended with `add_indicator`.
 * Ref: sklearn `impute/_base.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, need, num, str } from "../../py-access.ts";
import { markFillsMissing } from "./fills-missing.ts";
import { fittedInputs } from "./scalers.ts";

/** The missing-value marker as a number (NaN by default); strings are refused at load time. */
function missingMarker(o: PyObject, ctx: BuildContext): number {
  const mv = attr(o, "missing_values");
  if (mv === undefined || mv === null) return Number.NaN;
  if (str(mv) !== undefined)
    throw Errors.unsupportedModel(ctx.file, `SimpleImputer with missing_values='${str(mv)}'`);
  return num(mv, "SimpleImputer.missing_values");
}

/** SimpleImputer (numeric), with its optional MissingIndicator. */
export function simpleImputer(o: PyObject, ctx: BuildContext): SkEstimator {
  const stats = floats(need(o, "statistics_"), "SimpleImputer.statistics_").data;
  const marker = missingMarker(o, ctx);
  const isMissing = Number.isNaN(marker) ? (v: number) => Number.isNaN(v) : (v: number) => v === marker;
  const keepEmpty = attr(o, "keep_empty_features") === true;
  // Kept columns, precomputed once: a NaN statistic means the column had no observed value at fit time.
  const kept = Int32Array.from(Array.from(stats.keys()).filter((j) => keepEmpty || !Number.isNaN(stats[j])));
  const fill = Float64Array.from(kept, (j) => (Number.isNaN(stats[j]) ? 0 : stats[j]));
  let indicator: Int32Array | undefined;
  const ind = attr(o, "indicator_");
  if (ind !== undefined && ind !== null) {
    if (!isObject(ind))
      throw Errors.invalidModel(ctx.file, "SimpleImputer.indicator_ is not a MissingIndicator");
    const features = str(attr(ind, "features"));
    if (features !== undefined && features !== "missing-only")
      throw Errors.unsupportedModel(ctx.file, `SimpleImputer with a MissingIndicator features='${features}'`);
    indicator = Int32Array.from(floats(need(ind, "features_"), "MissingIndicator.features_").data);
  }
  const { names, nFeatures } = fittedInputs(o);
  const width = kept.length + (indicator?.length ?? 0);
  return markFillsMissing({
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? stats.length,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      if (d.cols !== stats.length)
        throw Errors.invalidModel(ctx.file, `SimpleImputer fitted on ${stats.length} features got ${d.cols}`);
      const out = new Float64Array(d.rows * width);
      for (let r = 0; r < d.rows; r++) {
        const src = r * d.cols;
        const dst = r * width;
        for (let k = 0; k < kept.length; k++) {
          const v = d.data[src + kept[k]];
          out[dst + k] = isMissing(v) ? fill[k] : v;
        }
        if (indicator) {
          for (let k = 0; k < indicator.length; k++)
            out[dst + kept.length + k] = isMissing(d.data[src + indicator[k]]) ? 1 : 0;
        }
      }
      return { kind: "dense", rows: d.rows, cols: width, data: out };
    },
  });
}
