/**
 * @module Builder of SimpleImputer over numeric data (and over string columns, see stringImputer): missing entries (NaN or a chosen number) replaced by
 * the fitted `statistics_`, columns whose statistic is NaN dropped (sklearn drops never-observed features
 * unless `keep_empty_features`), and the MissingIndicator columns appended with `add_indicator`.
 * Ref: sklearn `impute/_base.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, FrameColumn, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isArray, isObject, need, num, str } from "../../py-access.ts";
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

/**
 * SimpleImputer fitted on object (string) columns — `most_frequent` or `constant` before a OneHotEncoder, the
 * usual categorical pipeline: a missing entry (`null`, NaN on the Python side) becomes the column's statistic.
 * Its input schema is taken from the step after it (see Pipeline), made nullable.
 */
function stringImputer(o: PyObject, stats: readonly PyValue[], ctx: BuildContext): SkEstimator {
  const mv = attr(o, "missing_values");
  if (mv !== undefined && mv !== null && !(typeof mv === "number" && Number.isNaN(mv)))
    throw Errors.unsupportedModel(
      ctx.file,
      `SimpleImputer on strings with missing_values=${String(str(mv) ?? mv)}`,
    );
  const ind = attr(o, "indicator_");
  if (ind !== undefined && ind !== null)
    throw Errors.unsupportedModel(ctx.file, "SimpleImputer on strings with add_indicator");
  const fill = stats.map((v) => {
    const s = str(v);
    if (s !== undefined) return s;
    if (typeof v === "number" || typeof v === "bigint") return Number(v);
    throw Errors.unsupportedModel(
      ctx.file,
      "SimpleImputer on strings whose statistic is not a string or number",
    );
  });
  const { names, nFeatures } = fittedInputs(o);
  return markFillsMissing({
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? fill.length,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x): SkData {
      if (x.kind !== "frame") {
        // Numbers only: NaN replaced by a numeric statistic.
        const d = dense(x);
        const out = Float64Array.from(d.data);
        for (let i = 0; i < out.length; i++) {
          const f = fill[i % d.cols];
          if (Number.isNaN(out[i]) && typeof f === "number") out[i] = f;
        }
        return { ...d, data: out };
      }
      if (x.columns.length !== fill.length)
        throw new DataError(`SimpleImputer expects ${fill.length} columns, got ${x.columns.length}`);
      return {
        kind: "frame",
        rows: x.rows,
        columns: x.columns.map((c, j): FrameColumn => {
          const f = fill[j];
          if (c.values instanceof Float64Array) {
            if (typeof f === "number")
              return { ...c, values: Float64Array.from(c.values, (v) => (Number.isNaN(v) ? f : v)) };
            // A numeric column whose statistic is a string: the column becomes strings, as in an object array.
            return { ...c, values: Array.from(c.values, (v) => (Number.isNaN(v) ? f : String(v))) };
          }
          return { ...c, values: c.values.map((v) => (v === null ? String(f) : v)) };
        }),
      };
    },
  });
}

/** SimpleImputer (numeric), with its optional MissingIndicator; string statistics go to {@link stringImputer}. */
export function simpleImputer(o: PyObject, ctx: BuildContext): SkEstimator {
  const raw = need(o, "statistics_");
  if (isArray(raw) && Array.isArray(raw.data) && raw.data.some((v) => str(v) !== undefined))
    return stringImputer(o, raw.data as PyValue[], ctx);
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
