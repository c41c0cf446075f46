/**
 * @module Builder of OrdinalEncoder: each category replaced by its index in `categories_`; unknown values
 * give `unknown_value` with `handle_unknown="use_encoded_value"` (else they are refused by the schema),
 * and a missing value (NaN among the fitted categories) gives `encoded_missing_value`.
 * Infrequent-category grouping is refused. Ref: sklearn `preprocessing/_encoders.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, labels, need, num, str } from "../../py-access.ts";
import { columnValues } from "./one-hot-encoder.ts";
import { fittedInputs } from "./scalers.ts";

const isMissing = (v: Label | null | undefined) =>
  v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

/** OrdinalEncoder with float64 output. */
export function ordinalEncoder(o: PyObject, ctx: BuildContext): SkEstimator {
  const cats = need(o, "categories_");
  if (!Array.isArray(cats)) throw Errors.invalidModel(ctx.file, "OrdinalEncoder.categories_ is not a list");
  if (attr(o, "_infrequent_enabled") === true)
    throw Errors.unsupportedModel(
      ctx.file,
      "OrdinalEncoder with infrequent categories (min_frequency/max_categories)",
    );
  const handle = str(attr(o, "handle_unknown")) ?? "error";
  if (handle !== "error" && handle !== "use_encoded_value")
    throw Errors.unsupportedModel(ctx.file, `OrdinalEncoder with handle_unknown=${handle}`);
  const uv = attr(o, "unknown_value");
  const unknownValue = uv === undefined || uv === null ? Number.NaN : num(uv, "OrdinalEncoder.unknown_value");
  const emv = attr(o, "encoded_missing_value");
  const missingValue =
    emv === undefined || emv === null ? Number.NaN : num(emv, "OrdinalEncoder.encoded_missing_value");
  const categories: Label[][] = cats.map((c, i) => labels(c, `OrdinalEncoder.categories_[${i}]`));
  const lookups = categories.map(
    (cs) => new Map<Label, number>(cs.filter((c) => !isMissing(c)).map((c, k) => [c, k])),
  );
  const hasMissing = categories.map((cs) => cs.some(isMissing));
  const { names, nFeatures } = fittedInputs(o);
  const width = categories.length;
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? width,
    featureNamesIn: names,
    inputSpecs(): FeatureSpec[] {
      return categories.map((cs, i) => ({
        name: names?.[i] ?? `x${i}`,
        dtype: "category",
        categories: cs.filter((c) => !isMissing(c)),
        allowUnknownCategories: handle !== "error",
        nullable: hasMissing[i],
      }));
    },
    transform(x) {
      const out = new Float64Array(x.rows * width);
      for (let i = 0; i < width; i++) {
        const vals = columnValues(x, i);
        const m = lookups[i];
        for (let r = 0; r < x.rows; r++) {
          const v = vals[r];
          let code: number;
          if (isMissing(v) && hasMissing[i]) code = missingValue;
          else {
            const k = m.get(v as Label);
            if (k !== undefined) code = k;
            else if (handle === "use_encoded_value") code = unknownValue;
            else throw new DataError(`unknown category ${String(v)} in feature ${names?.[i] ?? i}`);
          }
          out[r * width + i] = code;
        }
      }
      return { kind: "dense", rows: x.rows, cols: width, data: out };
    },
  };
}
