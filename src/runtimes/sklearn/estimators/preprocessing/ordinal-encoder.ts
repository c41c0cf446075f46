/**
 * @module Builder of OrdinalEncoder: each category replaced by its index in `categories_`; unknown values
 * give `unknown_value` with `handle_unknown="use_encoded_value"` (else they are refused by the schema),
 * and a missing value (NaN among the fitted categories) gives `encoded_missing_value`.
 * With infrequent categories (`min_frequency`/`max_categories`, ≥ 1.3) a category's index goes through
 * `_default_to_infrequent_mappings`: frequent ones keep their order and every infrequent one shares the
 * code after them. Ref: sklearn `preprocessing/_encoders.py` (`_map_infrequent_categories`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, labels, need, num, str } from "../../py-access.ts";
import { columnValues } from "./one-hot-encoder.ts";
import { fittedInputs } from "./scalers.ts";

const isMissing = (v: Label | null | undefined) =>
  v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

/** `_default_to_infrequent_mappings` (category index → code) when infrequent categories are enabled. */
function infrequentCodes(
  o: PyObject,
  categories: readonly Label[][],
  hasMissing: readonly boolean[],
  ctx: BuildContext,
): (Float64Array | undefined)[] | undefined {
  if (attr(o, "_infrequent_enabled") !== true) return undefined;
  const maps = attr(o, "_default_to_infrequent_mappings");
  if (!Array.isArray(maps) || maps.length !== categories.length)
    throw Errors.invalidModel(
      ctx.file,
      "OrdinalEncoder._default_to_infrequent_mappings does not match categories_",
    );
  return maps.map((m, i) => {
    if (m === null) return undefined;
    const a = floats(m, `OrdinalEncoder._default_to_infrequent_mappings[${i}]`).data;
    // The mapping covers the categories without the missing-value one.
    if (a.length !== categories[i].length - (hasMissing[i] ? 1 : 0) && a.length !== categories[i].length)
      throw Errors.invalidModel(
        ctx.file,
        `OrdinalEncoder infrequent mapping ${i} does not match its categories`,
      );
    return Float64Array.from(a);
  });
}

/** OrdinalEncoder with float64 output. */
export function ordinalEncoder(o: PyObject, ctx: BuildContext): SkEstimator {
  const cats = need(o, "categories_");
  if (!Array.isArray(cats)) throw Errors.invalidModel(ctx.file, "OrdinalEncoder.categories_ is not a list");
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
  const infrequent = infrequentCodes(o, categories, hasMissing, ctx);
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
            if (k !== undefined) code = infrequent?.[i] ? infrequent[i]![k] : k;
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
