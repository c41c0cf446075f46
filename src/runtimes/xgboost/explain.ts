/**
 * @module `explain` for XGBoost boosters: TreeSHAP in float32 over the booster's trees, laid out as
 * `pred_contribs=True` (per output group, bias last), in margin space.
 */

import { lazy, NotExplainableError } from "../../explain/contributions.ts";
import { treeShap } from "../../explain/tree-shap.ts";
import type { Contributions, FeatureTable, Label } from "../runtime.ts";
import type { Booster } from "./model.ts";
import { xgboostShapEnsemble } from "./shap-trees.ts";

/** The `explain` method of a booster model; `matrixOf` builds the numeric rows as `predict` reads them. */
export function xgboostExplainer(
  b: Booster,
  matrixOf: (t: FeatureTable) => Float64Array,
): (t: FeatureTable) => Promise<Contributions> {
  const ensemble = lazy(() => {
    try {
      if (!b.explainInput) throw new Error(`TreeSHAP needs trees; a ${b.booster} booster has none`);
      return xgboostShapEnsemble(b.explainInput);
    } catch (err) {
      return err as Error;
    }
  });
  const outputs: Label[] =
    b.kind.startsWith("binary") || b.groups === 1
      ? [b.kind.startsWith("binary") ? 1 : 0]
      : Array.from({ length: b.groups }, (_, i) => i);
  return async (t) => {
    const e = ensemble();
    if (e instanceof Error) throw new NotExplainableError(e.message);
    const x = matrixOf(t);
    const xf = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) xf[i] = Math.fround(x[i]);
    const features = t.columns;
    return {
      rows: t.rows,
      features,
      outputs,
      values: treeShap(e, xf, t.rows, features.length),
      outputSpace: "margin",
    };
  };
}
