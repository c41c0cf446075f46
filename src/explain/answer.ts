/**
 * @module The JSON shape of explanations: per row, the bias (`base_value`) and the contribution of
 * every input feature, keyed by feature name. One-output models (regressors, binary boosted margins)
 * answer plain numbers; per-class explanations (multi-class models, forest classifiers) answer one
 * entry per class label.
 */

import { Errors } from "../errors.ts";
import type { Contributions, LoadedModel, RuntimeModel } from "../runtimes/runtime.ts";
import { NotExplainableError, rowExplanations } from "./contributions.ts";

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
