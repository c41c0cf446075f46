/**
 * @module `explain` of a scikit-learn model: the estimator's TreeSHAP contributions, named by the
 * model's inputs. A Pipeline or ColumnTransformer folds its encoded columns back to the input columns
 * they came from before this point, so the columns here are always the signature's inputs.
 */

import { NotExplainableError } from "../../explain/contributions.ts";
import type { Contributions, FeatureTable, ModelSignature } from "../runtime.ts";
import type { SkData, SkEstimator } from "./estimator.ts";

/** The runtime-level `explain` of an estimator that offers one. */
export function sklearnExplainer(
  est: SkEstimator,
  signature: ModelSignature,
  dataOf: (t: FeatureTable) => SkData,
): (t: FeatureTable) => Promise<Contributions> {
  const features = signature.inputs.map((f) => f.name);
  return async (t) => {
    const e = est.explain!(dataOf(t));
    if (e.cols !== features.length)
      throw new NotExplainableError(
        `${est.className} explains ${e.cols} columns for ${features.length} inputs`,
      );
    return { rows: e.rows, features, outputs: e.outputs, values: e.values, outputSpace: e.outputSpace };
  };
}
