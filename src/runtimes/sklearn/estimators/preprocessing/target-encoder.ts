/**
 * @module Builder of TargetEncoder (scikit-learn ≥ 1.3) for new data: each category replaced by its
 * learned encoding (`encodings_`, one column per feature, or one per feature and class for a
 * multiclass target); unknown categories — and missing values when none were seen in training — take
 * the target mean. Ref: sklearn `preprocessing/_target_encoder.py` (`transform`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label } from "../../../runtime.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, isArray, labels, need, num, str } from "../../py-access.ts";
import { columnValues } from "./one-hot-encoder.ts";
import { fittedInputs } from "./scalers.ts";

const isMissing = (v: Label | null | undefined) =>
  v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

/** TargetEncoder's `transform`. */
export function targetEncoder(o: PyObject, ctx: BuildContext): SkEstimator {
  const cats = need(o, "categories_");
  const encs = need(o, "encodings_");
  if (!Array.isArray(cats) || !Array.isArray(encs))
    throw Errors.invalidModel(ctx.file, "TargetEncoder.categories_ or encodings_ is not a list");
  const type = str(attr(o, "target_type_")) ?? "continuous";
  if (!["binary", "continuous", "multiclass"].includes(type))
    throw Errors.unsupportedModel(ctx.file, `TargetEncoder with target_type_=${type}`);
  const categories: Label[][] = cats.map((c, i) => labels(c, `TargetEncoder.categories_[${i}]`));
  const encodings = encs.map((e, i) => floats(e, `TargetEncoder.encodings_[${i}]`).data);
  // A number (binary, continuous) or one per class (multiclass).
  const tm = need(o, "target_mean_");
  const mean = isArray(tm)
    ? floats(tm, "TargetEncoder.target_mean_").data
    : Float64Array.of(num(tm, "TargetEncoder.target_mean_"));
  const k = type === "multiclass" ? mean.length : 1;
  const width = categories.length;
  if (encodings.length !== width * k)
    throw Errors.invalidModel(
      ctx.file,
      `TargetEncoder has ${encodings.length} encodings for ${width} features`,
    );
  for (let e = 0; e < encodings.length; e++)
    if (encodings[e].length !== categories[Math.floor(e / k)].length)
      throw Errors.invalidModel(ctx.file, `TargetEncoder.encodings_[${e}] does not match its categories`);
  const lookups = categories.map(
    (cs) => new Map<Label, number>(cs.flatMap((c, i) => (isMissing(c) ? [] : [[c, i]]))),
  );
  const missingIndex = categories.map((cs) => cs.findIndex(isMissing));
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? width,
    featureNamesIn: names,
    // Unknown categories and missing values are encoded (as the target mean), so both are accepted.
    allowsMissing: true,
    inputSpecs(): FeatureSpec[] {
      return categories.map((cs, i) => ({
        name: names?.[i] ?? `x${i}`,
        dtype: "category",
        categories: cs.filter((c) => !isMissing(c)),
        allowUnknownCategories: true,
        nullable: true,
      }));
    },
    transform(x) {
      const cols = width * k;
      const out = new Float64Array(x.rows * cols);
      for (let i = 0; i < width; i++) {
        const vals = columnValues(x, i);
        for (let r = 0; r < x.rows; r++) {
          const v = vals[r];
          const idx = isMissing(v) ? missingIndex[i] : (lookups[i].get(v as Label) ?? -1);
          for (let c = 0; c < k; c++)
            out[r * cols + i * k + c] = idx >= 0 ? encodings[i * k + c][idx] : mean[c];
        }
      }
      return { kind: "dense", rows: x.rows, cols, data: out };
    },
  };
}
