/**
 * @module How explanations cross transformers: each transformer's output columns are traced to the
 * input column they come from, and contributions of encoded columns are summed back onto it (the
 * usual practice, and additive: the sum over a raw column's encoded columns is that column's share).
 * One-to-one transformers (scalers, imputers, ordinal/target encoders, power and quantile transforms)
 * map column to column; a OneHotEncoder, a ColumnTransformer and text vectorizers say themselves.
 */

import { NotExplainableError } from "../../explain/contributions.ts";
import type { SkData, SkEstimator, SkExplanation } from "./estimator.ts";

/** Transformers whose output column `j` is input column `j` when the widths agree. */
const ONE_TO_ONE = new Set([
  "StandardScaler",
  "MinMaxScaler",
  "RobustScaler",
  "MaxAbsScaler",
  "SimpleImputer",
  "OrdinalEncoder",
  "TargetEncoder",
  "PowerTransformer",
  "QuantileTransformer",
  "FunctionTransformer",
  "KBinsDiscretizer",
]);

/** Vectorizers of one text field: every token column comes from that field. */
const ONE_FIELD = new Set(["CountVectorizer", "TfidfVectorizer", "HashingVectorizer"]);

/** Columns of data flowing between steps. */
function widthOf(x: SkData): number {
  return x.kind === "frame" ? x.columns.length : x.cols;
}

/** The input column of each output column of `est`; throws when they cannot be traced. */
export function sourcesOf(est: SkEstimator, nIn: number, nOut: number): Int32Array {
  const own = est.columnSources?.(nIn, nOut);
  if (own) return own;
  if (ONE_TO_ONE.has(est.className) && nIn === nOut) return Int32Array.from({ length: nOut }, (_, j) => j);
  if (ONE_FIELD.has(est.className) && nIn === 1) return new Int32Array(nOut);
  throw new NotExplainableError(
    `${est.className} (${nIn} → ${nOut} columns) does not map its output columns back to input columns`,
  );
}

/** Sums an explanation's columns onto `nIn` input columns through `sources` (bias kept). */
function foldExplanation(e: SkExplanation, sources: Int32Array, nIn: number): SkExplanation {
  if (sources.length !== e.cols)
    throw new NotExplainableError(`${sources.length} traced columns for ${e.cols} explained ones`);
  const blocks = e.rows * e.outputs.length;
  const values = new Float64Array(blocks * (nIn + 1));
  for (let b = 0; b < blocks; b++) {
    const s = b * (e.cols + 1);
    const t = b * (nIn + 1);
    for (let j = 0; j < e.cols; j++) values[t + sources[j]] += e.values[s + j];
    values[t + nIn] = e.values[s + e.cols];
  }
  return { ...e, cols: nIn, values };
}

/**
 * Explains `x` with `last` after `steps` transform it, folding contributions back step by step to the
 * columns of `x`.
 */
export function explainThrough(steps: readonly SkEstimator[], last: SkEstimator, x: SkData): SkExplanation {
  const trail: { sources: Int32Array; nIn: number }[] = [];
  let d = x;
  for (const t of steps) {
    if (!t.transform) throw new NotExplainableError(`${t.className} cannot transform`);
    const out = t.transform(d);
    const nIn = widthOf(d);
    trail.push({ sources: sourcesOf(t, nIn, widthOf(out)), nIn });
    d = out;
  }
  let e = last.explain!(d);
  for (let i = trail.length - 1; i >= 0; i--) e = foldExplanation(e, trail[i].sources, trail[i].nIn);
  return e;
}
