/**
 * @module `explain` for LightGBM models: TreeSHAP in float64 over the model's trees, per class for
 * multi-class models, in raw-score space (the sum of the trees, as `pred_contrib=True` adds up).
 */

import { lazy, NotExplainableError } from "../../explain/contributions.ts";
import { treeShap } from "../../explain/tree-shap.ts";
import type { Contributions, FeatureTable, Label } from "../runtime.ts";
import type { LightgbmModel } from "./model.ts";
import { lightgbmShapEnsemble } from "./shap-trees.ts";

/** The `explain` method of a LightGBM model with `features` inputs; `outputs` names each explained output. */
export function lightgbmExplainer(
  m: LightgbmModel,
  features: number,
  outputs: readonly Label[],
): (t: FeatureTable) => Promise<Contributions> {
  const ensemble = lazy(() => {
    try {
      return lightgbmShapEnsemble(m, features);
    } catch (err) {
      return err as Error;
    }
  });
  return async (t) => {
    const e = ensemble();
    if (e instanceof Error) throw new NotExplainableError(e.message);
    const values = treeShap(e, t.numeric, t.rows, t.columns.length);
    return { rows: t.rows, features: t.columns, outputs, values, outputSpace: "margin" };
  };
}
