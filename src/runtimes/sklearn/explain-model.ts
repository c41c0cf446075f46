/**
 * @module `explain` of a scikit-learn model: the estimator's TreeSHAP contributions, named by the
 * model's inputs. A Pipeline or ColumnTransformer folds its encoded columns back to the input columns
 * they came from before this point, so the columns here are always the signature's inputs.
 */

import { NotExplainableError } from "../../explain/contributions.ts";
import type { PyValue } from "../../formats/pickle/py-objects.ts";
import type { Contributions, FeatureTable, ModelSignature, RuntimeModel } from "../runtime.ts";
import { explainThrough } from "./column-sources.ts";
import { dense } from "./data.ts";
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

/**
 * `explain` of a Pipeline ending in a pickled XGBoost/LightGBM estimator: the booster's own
 * explanation of the transformed rows, summed back through the steps before it to the raw inputs.
 */
export function boosterPipelineExplainer(
  steps: readonly PyValue[],
  build: (v: PyValue) => SkEstimator,
  booster: RuntimeModel,
  features: readonly string[],
  dataOf: (t: FeatureTable) => SkData,
): (t: FeatureTable) => Promise<Contributions> {
  let built: SkEstimator[] | undefined;
  return async (t) => {
    built ??= steps.flatMap((s) => {
      const est =
        typeof s === "object" && s !== null && "kind" in s && s.kind === "tuple" ? s.items[1] : undefined;
      return est === "passthrough" || est === null || est === undefined ? [] : [build(est)];
    });
    // The booster explains asynchronously; the steps fold synchronously around its answer.
    let inner: Contributions | undefined;
    const last: SkEstimator = {
      className: booster.details.modelType,
      role: "regressor",
      explain(x) {
        if (!inner) throw new NotExplainableError("the booster's explanation is missing");
        return {
          rows: inner.rows,
          cols: widthOfDense(x),
          outputs: inner.outputs,
          values: inner.values,
          outputSpace: inner.outputSpace,
        };
      },
    };
    const x = dataOf(t);
    let d: SkData = x;
    for (const s of built) d = s.transform!(d);
    const m = dense(d);
    const names = booster.signature.inputs.map((f) => f.name);
    if (m.cols !== names.length)
      throw new NotExplainableError(
        `the steps before the booster give ${m.cols} columns; it takes ${names.length}`,
      );
    inner = await booster.explain!({
      rows: m.rows,
      columns: names,
      numeric: m.data,
      strings: names.map(() => undefined),
      tensors: names.map(() => undefined),
    });
    const e = explainThrough(built, last, x);
    return { rows: e.rows, features, outputs: e.outputs, values: e.values, outputSpace: e.outputSpace };
  };
}

function widthOfDense(x: SkData): number {
  return x.kind === "frame" ? x.columns.length : x.cols;
}
