/**
 * @module Builder of ColumnTransformer: each fitted transformer gets its columns (by name, index, boolean
 * mask or slice), outputs are concatenated in `transformers_` order (remainder last), 'drop' skipped and
 * 'passthrough' copied. Output is always dense. The raw input schema comes from `feature_names_in_`
 * and the transformer consuming each column. Ref: sklearn `compose/_column_transformer.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec } from "../../../runtime.ts";
import { sourcesOf } from "../../column-sources.ts";
import { dense, sideBySide } from "../../data.ts";
import type { BuildContext, DenseData, FrameColumn, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isArray, isObject, need, num, stateOf, str, strings } from "../../py-access.ts";
import { fillsMissing } from "./fills-missing.ts";
import { columnValues } from "./one-hot-encoder.ts";
import { fittedInputs } from "./scalers.ts";

interface Part {
  readonly cols: Int32Array;
  /** Undefined for 'passthrough'. */
  readonly est?: SkEstimator;
}

/** Column indices selected by a ColumnTransformer column spec. */
function selectColumns(
  spec: PyValue,
  names: readonly string[] | undefined,
  n: number,
  file: string,
): number[] {
  const byName = (s: string) => {
    const i = names?.indexOf(s) ?? -1;
    if (i < 0)
      throw Errors.invalidModel(file, `ColumnTransformer column ${s} is not among feature_names_in_`);
    return i;
  };
  if (typeof spec === "string") return [byName(spec)];
  if (typeof spec === "number" || typeof spec === "bigint") return [Number(spec)];
  if (isObject(spec) && spec.name === "slice") {
    const a = spec.args;
    const start = a[0] === null || a[0] === undefined ? 0 : num(a[0], "slice.start");
    const stop = a[1] === null || a[1] === undefined ? n : num(a[1], "slice.stop");
    return Array.from({ length: Math.max(0, stop - start) }, (_, i) => start + i);
  }
  const items: PyValue[] = isArray(spec)
    ? spec.dtype.str[1] === "b"
      ? Array.from(spec.data as Uint8Array, (v) => v === 1)
      : Array.isArray(spec.data)
        ? (spec.data as PyValue[])
        : Array.from(floats(spec, "ColumnTransformer columns").data)
    : Array.isArray(spec)
      ? spec
      : isObject(spec)
        ? // 1.5–1.6 keep remainder columns in a list subclass (_RemainderColsList): its items are in the state.
          ((stateOf(spec).get("data") as PyValue[] | undefined) ?? [])
        : [];
  if (items.length > 0 && items.every((v) => typeof v === "boolean"))
    return items.flatMap((v, i) => (v ? [i] : []));
  return items.map((v) => (str(v) !== undefined ? byName(str(v)!) : num(v, "ColumnTransformer column")));
}

/** ColumnTransformer with dense output. */
export function columnTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const fitted = fittedInputs(o);
  // Before 1.0 the DataFrame's columns were private: `_feature_names_in` (0.24), `_df_columns` (0.22–0.23).
  const names = fitted.names ?? strings(attr(o, "_feature_names_in")) ?? strings(attr(o, "_df_columns"));
  const n = fitted.nFeatures ?? names?.length ?? 0;
  const list = need(o, "transformers_");
  if (!Array.isArray(list))
    throw Errors.invalidModel(ctx.file, "ColumnTransformer.transformers_ is not a list");
  const parts: Part[] = [];
  list.forEach((t, i) => {
    const items =
      typeof t === "object" && t !== null && "kind" in t && t.kind === "tuple" ? t.items : undefined;
    if (!items || items.length < 3)
      throw Errors.invalidModel(ctx.file, `ColumnTransformer.transformers_[${i}]`);
    const [, est, spec] = items;
    if (est === "drop") return;
    const cols = Int32Array.from(selectColumns(spec, names, n, ctx.file));
    if (cols.some((c) => c < 0 || c >= n))
      throw Errors.invalidModel(
        ctx.file,
        `ColumnTransformer.transformers_[${i}] selects a column out of range`,
      );
    if (cols.length === 0) return;
    if (est === "passthrough") parts.push({ cols });
    else {
      const built = ctx.build(est, `${o.name}.transformers_[${i}]`);
      if (!built.transform)
        throw Errors.unsupportedModel(
          ctx.file,
          `${built.className} inside a ColumnTransformer cannot transform`,
        );
      parts.push({ cols, est: built });
    }
  });
  const pick = (x: SkData, cols: Int32Array): SkData => {
    const columns: FrameColumn[] = Array.from(cols, (c) => ({
      name: names?.[c] ?? `x${c}`,
      values: columnValues(x, c),
    }));
    return columns.every((c) => c.values instanceof Float64Array)
      ? dense({ kind: "frame", rows: x.rows, columns })
      : { kind: "frame", rows: x.rows, columns };
  };
  /** Each part's output width in the last transform (explanations trace columns right after one). */
  let lastWidths: number[] | undefined;
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: n,
    columnSources(nIn, nOut) {
      if (!lastWidths || nIn !== n || lastWidths.reduce((a, b) => a + b, 0) !== nOut) return undefined;
      const src = new Int32Array(nOut);
      let off = 0;
      for (const [k, p] of parts.entries()) {
        const w = lastWidths[k];
        // Each part's own outputs traced to its selected columns, then to the ColumnTransformer's inputs.
        const inner = p.est ? sourcesOf(p.est, p.cols.length, w) : Int32Array.from(p.cols, (_, j) => j);
        for (let j = 0; j < w; j++) src[off + j] = p.cols[inner[j]];
        off += w;
      }
      return src;
    },
    featureNamesIn: names,
    allowsMissing: false,
    inputSpecs(): FeatureSpec[] {
      // A column no transformer consumes is dropped: the client still sends its frame, whatever that
      // column holds (strings, numbers or nothing), so it accepts any scalar.
      const used = new Set(parts.flatMap((p) => Array.from(p.cols)));
      const specs: FeatureSpec[] = Array.from({ length: n }, (_, i) =>
        used.has(i)
          ? { name: names?.[i] ?? `x${i}`, dtype: "float", nullable: false }
          : {
              name: names?.[i] ?? `x${i}`,
              dtype: "category",
              categories: ["", 0],
              allowUnknownCategories: true,
              nullable: true,
              description:
                "not used by the model (the ColumnTransformer drops it): any string, number or null",
            },
      );
      for (const p of parts) {
        const inner = p.est?.inputSpecs?.();
        p.cols.forEach((c, k) => {
          const base = inner?.[k];
          specs[c] = base
            ? { ...base, name: specs[c].name }
            : { name: specs[c].name, dtype: "float", nullable: fillsMissing(p.est) };
        });
      }
      return specs;
    },
    transform(x) {
      const outs: DenseData[] = parts.map((p) => {
        const sub = pick(x, p.cols);
        return p.est ? dense(p.est.transform!(sub)) : dense(sub);
      });
      lastWidths = outs.map((d) => d.cols);
      return sideBySide(outs, x.rows);
    },
  };
}
