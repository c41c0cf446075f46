/**
 * @module The JSON shape of explanations: per row, the bias (`base_value`) and the contribution of
 * every input feature, keyed by feature name. One-output models (regressors, binary boosted margins)
 * answer plain numbers; per-class explanations (multi-class models, forest classifiers) answer one
 * entry per class label.
 */

import { Errors } from "../errors.ts";
import { NotExplainableError } from "../explain/contributions.ts";
import type { Contributions, FeatureTable, Label, LoadedModel, RuntimeModel } from "../runtimes/runtime.ts";

/** One row's explanation of one output. */
export interface RowExplanation {
  readonly output: Label;
  /** Expected value of the output (the bias term). */
  readonly base: number;
  /** Contribution per feature name, in signature order. */
  readonly contributions: Readonly<Record<string, number>>;
  /** `base + Σ contributions`: the model's output in the explanation's space. */
  readonly value: number;
}

/** The explanation of row `r`, one entry per output. */
export function rowExplanations(c: Contributions, r: number): RowExplanation[] {
  const F = c.features.length;
  const width = F + 1;
  return c.outputs.map((output, k) => {
    const o = (r * c.outputs.length + k) * width;
    const contributions: Record<string, number> = {};
    let value = c.values[o + F];
    for (let f = 0; f < F; f++) {
      contributions[c.features[f]] = c.values[o + f];
      value += c.values[o + f];
    }
    return { output, base: c.values[o + F], contributions, value };
  });
}

/** The explanation of one row, as the HTTP API and the CLI answer it. */
export interface ExplanationJson {
  /** The expected value of the output: a number, or one per class label. */
  readonly base_value: number | Record<string, number>;
  /** Contribution per feature: `{feature: value}`, or `{class: {feature: value}}` per class. */
  readonly contributions: Record<string, number> | Record<string, Record<string, number>>;
}

/** Row `r` of contributions in the answer shape. */
export function explanationJson(c: Contributions, r: number): ExplanationJson {
  const rows = rowExplanations(c, r);
  if (rows.length === 1) return { base_value: rows[0].base, contributions: { ...rows[0].contributions } };
  const base: Record<string, number> = {};
  const contributions: Record<string, Record<string, number>> = {};
  for (const e of rows) {
    base[String(e.output)] = e.base;
    contributions[String(e.output)] = { ...e.contributions };
  }
  return { base_value: base, contributions };
}

/** What the explainable model families are, for refusals. */
export const EXPLAINABLE =
  "XGBoost (gbtree, dart), LightGBM (gbdt, dart, rf), and scikit-learn trees, random forests, extra trees, GradientBoosting and HistGradientBoosting";

/**
 * Runs `explain`, turning "cannot explain" into `MS_METHOD_NOT_SUPPORTED` naming the model and what
 * is supported.
 */
export async function explainModel(
  model: RuntimeModel | LoadedModel,
  name: string,
  table: Parameters<NonNullable<RuntimeModel["explain"]>>[0],
): Promise<Contributions> {
  if (!model.explain)
    throw Errors.methodNotSupported(
      name,
      "explain",
      `${model.details.framework} ${model.details.modelType} is not a tree model; explanations cover ${EXPLAINABLE}`,
    );
  try {
    return await model.explain(table);
  } catch (err) {
    if (err instanceof NotExplainableError)
      throw Errors.methodNotSupported(name, "explain", `${err.message}; explanations cover ${EXPLAINABLE}`);
    throw err;
  }
}

/** Rows `[from, to)` of a table. */
export function sliceTable(t: FeatureTable, from: number, to: number): FeatureTable {
  const w = t.columns.length;
  return {
    rows: to - from,
    columns: t.columns,
    numeric: t.numeric.subarray(from * w, to * w),
    strings: t.strings.map((s) => s?.slice(from, to)),
    tensors: t.tensors.map((c) => {
      if (!c) return undefined;
      const per = c.shape.reduce((a, b) => a * b, 1);
      return { shape: c.shape, data: c.data.subarray(from * per, to * per) };
    }),
  };
}

/**
 * Explains a table in chunks of `chunkRows`, yielding to the event loop between chunks so a large
 * batch on a big ensemble never stalls other requests; `deadline` (ms since the epoch, 0 for none)
 * stops it with `onDeadline()`'s error.
 */
export async function explainInChunks(
  model: RuntimeModel | LoadedModel,
  name: string,
  table: FeatureTable,
  options: {
    readonly chunkRows?: number;
    readonly deadline?: number;
    readonly onDeadline?: () => Error;
  } = {},
): Promise<Contributions> {
  const chunk = Math.max(1, options.chunkRows ?? 64);
  if (table.rows <= chunk) return explainModel(model, name, table);
  const parts: Contributions[] = [];
  for (let from = 0; from < table.rows; from += chunk) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (options.deadline && Date.now() > options.deadline && options.onDeadline) throw options.onDeadline();
    parts.push(await explainModel(model, name, sliceTable(table, from, Math.min(table.rows, from + chunk))));
  }
  const values = new Float64Array(parts.reduce((n, p) => n + p.values.length, 0));
  let at = 0;
  for (const p of parts) {
    values.set(p.values, at);
    at += p.values.length;
  }
  return { ...parts[0], rows: table.rows, values };
}
