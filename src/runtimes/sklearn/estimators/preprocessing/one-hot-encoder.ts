/**
 * @module Builder of OneHotEncoder with dense output: string or numeric `categories_`, `handle_unknown`
 * error/ignore (an ignored unknown gives an all-zero block), and `drop_idx_` (first, if_binary, explicit).
 * Infrequent categories (`min_frequency`/`max_categories`) share the last column of their feature, and with
 * `handle_unknown="infrequent_if_exist"` unknown values go there too (infrequent grouping with `drop` is refused). Ref: sklearn `preprocessing/_encoders.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isArray, labels, need, num, str } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** The values of input column `j`, as numbers or strings, whatever the data's kind. */
export function columnValues(x: SkData, j: number): Float64Array | readonly (string | null)[] {
  if (x.kind === "frame") return x.columns[j].values;
  if (x.kind === "dense") {
    const out = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) out[r] = x.data[r * x.cols + j];
    return out;
  }
  throw new DataError("a sparse matrix cannot be one-hot encoded");
}

/** The dropped category index per feature (-1 = none), from `drop_idx_`. */
function dropIndices(o: PyObject, features: number): Int32Array {
  const out = new Int32Array(features).fill(-1);
  const d = attr(o, "drop_idx_");
  if (d === undefined || d === null) return out;
  const items = isArray(d) ? Array.from(d.data as ArrayLike<unknown>) : Array.isArray(d) ? d : [];
  for (let i = 0; i < features; i++) {
    const v = items[i];
    if (v !== null && v !== undefined) out[i] = num(v as number, "OneHotEncoder.drop_idx_");
  }
  return out;
}

/**
 * `_default_to_infrequent_mappings` (category index → output column, infrequent ones → the last) when
 * infrequent categories are enabled (`min_frequency`/`max_categories`), else undefined.
 */
function infrequentMappings(
  o: PyObject,
  categories: readonly Label[][],
  ctx: BuildContext,
): (Int32Array | undefined)[] | undefined {
  if (attr(o, "_infrequent_enabled") !== true) return undefined;
  const maps = attr(o, "_default_to_infrequent_mappings");
  if (!Array.isArray(maps) || maps.length !== categories.length)
    throw Errors.invalidModel(
      ctx.file,
      "OneHotEncoder._default_to_infrequent_mappings does not match categories_",
    );
  return maps.map((m, i) => {
    if (m === null) return undefined;
    const a = Int32Array.from(floats(m, `OneHotEncoder._default_to_infrequent_mappings[${i}]`).data);
    if (a.length !== categories[i].length)
      throw Errors.invalidModel(
        ctx.file,
        `OneHotEncoder infrequent mapping ${i} does not match its categories`,
      );
    return a;
  });
}

/** OneHotEncoder (dense or sparse fit, dense output). */
export function oneHotEncoder(o: PyObject, ctx: BuildContext): SkEstimator {
  const cats = need(o, "categories_");
  if (!Array.isArray(cats)) throw Errors.invalidModel(ctx.file, "OneHotEncoder.categories_ is not a list");
  const handle = str(attr(o, "handle_unknown")) ?? "error";
  if (handle !== "error" && handle !== "ignore" && handle !== "infrequent_if_exist")
    throw Errors.unsupportedModel(ctx.file, `OneHotEncoder with handle_unknown=${handle}`);
  const categories: Label[][] = cats.map((c, i) => labels(c, `OneHotEncoder.categories_[${i}]`));
  const infrequent = infrequentMappings(o, categories, ctx);
  const drops = dropIndices(o, categories.length);
  if (infrequent && drops.some((d) => d >= 0))
    throw Errors.unsupportedModel(ctx.file, "OneHotEncoder with both infrequent categories and drop");
  // Output offset of each category (-1 when dropped), precomputed once; with infrequent categories the
  // frequent ones keep their order and every infrequent one shares the last column of its feature.
  const lookups = categories.map((cs, i) => {
    const m = new Map<Label, number>();
    const mapping = infrequent?.[i];
    if (mapping) {
      for (const [ci, c] of cs.entries()) m.set(c, mapping[ci]);
      const width = Math.max(...mapping) + 1;
      // Unknown values join the infrequent column only with handle_unknown='infrequent_if_exist'.
      return { m, width, unknown: handle === "infrequent_if_exist" ? width - 1 : -1 };
    }
    let k = 0;
    cs.forEach((c, ci) => {
      if (ci === drops[i]) return;
      m.set(c, k++);
    });
    return { m, width: k, unknown: -1 };
  });
  const offsets = new Int32Array(categories.length);
  let width = 0;
  lookups.forEach((l, i) => {
    offsets[i] = width;
    width += l.width;
  });
  const { names, nFeatures } = fittedInputs(o);
  const droppedCats = categories.map((cs, i) => (drops[i] >= 0 ? cs[drops[i]] : undefined));
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? categories.length,
    featureNamesIn: names,
    inputSpecs(): FeatureSpec[] {
      return categories.map((cs, i) => ({
        name: names?.[i] ?? `x${i}`,
        dtype: "category",
        categories: cs,
        allowUnknownCategories: handle !== "error",
        nullable: false,
      }));
    },
    columnSources(nIn, nOut) {
      if (nIn !== categories.length || nOut !== width) return undefined;
      const src = new Int32Array(width);
      for (const [i, l] of lookups.entries()) src.fill(i, offsets[i], offsets[i] + l.width);
      return src;
    },
    transform(x) {
      const out = new Float64Array(x.rows * width);
      for (let i = 0; i < categories.length; i++) {
        const vals = columnValues(x, i);
        const { m, unknown } = lookups[i];
        for (let r = 0; r < x.rows; r++) {
          const v = vals[r];
          const k = m.get(v as Label) ?? (unknown >= 0 ? unknown : undefined);
          if (k !== undefined) out[r * width + offsets[i] + k] = 1;
          else if (v !== droppedCats[i] && handle === "error")
            throw new DataError(`unknown category ${String(v)} in feature ${names?.[i] ?? i}`);
        }
      }
      return { kind: "dense", rows: x.rows, cols: width, data: out };
    },
  };
}
