/**
 * @module Builder of DictVectorizer: rows of `{feature: value}` turned into a vector. A string value sets the
 * column `feature<separator>value` to 1 (an unseen string sets nothing), a number sets the column `feature` to
 * the value, an absent key (null here) sets nothing. Its inputs are the dict keys found in `feature_names_`:
 * numeric keys as nullable floats, string keys as nullable categories that accept unseen values.
 * Ref: sklearn `feature_extraction/_dict_vectorizer.py` (`_transform`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, need, str, strings } from "../../py-access.ts";

interface DictKey {
  readonly name: string;
  /** Column of a numeric key, or -1. */
  readonly column: number;
  /** Columns of a string key's values. */
  readonly values: Map<string, number>;
}

/** DictVectorizer (dense or sparse fit; float64 or float32 `dtype`). */
export function dictVectorizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const names = strings(need(o, "feature_names_"));
  if (!names) throw Errors.invalidModel(ctx.file, "DictVectorizer.feature_names_ is not a list of strings");
  const sep = str(attr(o, "separator")) ?? "=";
  const dtype = attr(o, "dtype");
  const float32 =
    typeof dtype === "object" &&
    dtype !== null &&
    "kind" in dtype &&
    dtype.kind === "global" &&
    dtype.name === "float32";
  // Group the columns by dict key: `key` alone is numeric, `key=value` a string value of `key`.
  const keys = new Map<string, { column: number; values: Map<string, number> }>();
  const plain = new Set(names);
  names.forEach((n, col) => {
    const at = n.indexOf(sep);
    const isValue = at > 0 && !plain.has(n.slice(0, at)) && at >= 0;
    const key = isValue ? n.slice(0, at) : n;
    const entry = keys.get(key) ?? { column: -1, values: new Map<string, number>() };
    if (isValue) entry.values.set(n.slice(at + sep.length), col);
    else entry.column = col;
    keys.set(key, entry);
  });
  const inputs: DictKey[] = [...keys.entries()].map(([name, e]) => ({
    name,
    column: e.column,
    values: e.values,
  }));
  for (const k of inputs)
    if (k.column >= 0 && k.values.size > 0)
      throw Errors.unsupportedModel(
        ctx.file,
        `DictVectorizer key "${k.name}" holding both numbers and strings`,
      );
  const width = names.length;
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: inputs.length,
    featureNamesIn: inputs.map((k) => k.name),
    inputSpecs(): FeatureSpec[] {
      return inputs.map((k) =>
        k.column >= 0
          ? { name: k.name, dtype: "float", nullable: true }
          : {
              name: k.name,
              dtype: "category",
              categories: [...k.values.keys()],
              allowUnknownCategories: true,
              nullable: true,
            },
      );
    },
    transform(x: SkData) {
      if (x.kind === "csr") throw new DataError("DictVectorizer takes rows of named values");
      const out = new Float64Array(x.rows * width);
      inputs.forEach((k, j) => {
        if (x.kind === "dense") {
          if (k.column < 0) throw new DataError(`feature ${k.name} must be text`);
          for (let r = 0; r < x.rows; r++) {
            const v = x.data[r * x.cols + j];
            if (!Number.isNaN(v)) out[r * width + k.column] += float32 ? Math.fround(v) : v;
          }
          return;
        }
        const vals = x.columns[j].values;
        for (let r = 0; r < x.rows; r++) {
          const v = vals[r];
          if (typeof v === "string") {
            const col = k.values.get(v);
            if (col !== undefined) out[r * width + col] += 1;
          } else if (typeof v === "number" && !Number.isNaN(v) && k.column >= 0) {
            out[r * width + k.column] += float32 ? Math.fround(v) : v;
          }
        }
      });
      return { kind: "dense", rows: x.rows, cols: width, data: out };
    },
  };
}
