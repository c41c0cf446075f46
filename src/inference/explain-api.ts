/**
 * @module The TypeScript API of explanations: `explainRows(model, rows)` validates rows as the server
 * does and answers each row's base value and feature contributions, in the same shape as `/explain`.
 * (`model.explain(table)` gives the raw matrix.)
 */

import type { LoadedModel, OutputSpace, RuntimeModel } from "../runtimes/runtime.ts";
import { tableFromRows } from "../schema/validator.ts";
import { type ExplanationJson, explainModel, explanationJson } from "./explain.ts";

/** The explanations of a batch of rows. */
export interface RowsExplanation {
  readonly outputSpace: OutputSpace;
  /** One explanation per row, in order. */
  readonly explanations: readonly ExplanationJson[];
}

/**
 * Explains rows (named objects or arrays in signature order) with a loaded tree model. Throws a
 * `ModelServeError`: `MS_INVALID_INPUT` for bad rows, `MS_METHOD_NOT_SUPPORTED` for a model that is
 * not a tree.
 *
 * @example
 * const model = await loadModel("forest.joblib");
 * const { explanations } = await explainRows(model, [{ sepal_length: 5.1, ... }]);
 */
export async function explainRows(
  model: RuntimeModel | LoadedModel,
  rows: readonly unknown[],
  name = "model",
): Promise<RowsExplanation> {
  const table = tableFromRows(model.signature, rows);
  const c = await explainModel(model, name, table);
  return {
    outputSpace: c.outputSpace,
    explanations: Array.from({ length: c.rows }, (_, r) => explanationJson(c, r)),
  };
}
