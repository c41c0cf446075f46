/**
 * @module The ModelSignature of a fitted scikit-learn estimator: its own input specs when it gives
 * them, else feature names (or x0…x{n-1}) as floats, nullable when it accepts missing values.
 */

import type { FeatureSpec, ModelSignature } from "../runtime.ts";
import type { SkEstimator } from "./estimator.ts";

/** The signature of an estimator. */
export function signatureOf(est: SkEstimator): ModelSignature {
  const given = est.inputSpecs?.();
  const n = est.nFeaturesIn ?? est.featureNamesIn?.length ?? 0;
  const inputs: FeatureSpec[] = given
    ? [...given]
    : Array.from({ length: n }, (_, i) => ({
        name: est.featureNamesIn?.[i] ?? `x${i}`,
        dtype: "float",
        nullable: est.allowsMissing === true,
      }));
  const task =
    est.role === "classifier"
      ? "classification"
      : est.role === "regressor"
        ? "regression"
        : est.role === "clusterer"
          ? "clustering"
          : est.role === "outlier-detector"
            ? "anomaly-detection"
            : "transform";
  return {
    inputs,
    output:
      task === "classification"
        ? { task, classes: est.classes }
        : task === "regression"
          ? {
              task,
              targets: est.nOutputs ?? 1,
              ...(est.outputClasses ? { outputClasses: est.outputClasses } : {}),
              ...(est.outputNames ? { names: est.outputNames } : {}),
            }
          : { task },
    capabilities: {
      predict: true,
      predictProba: typeof est.predictProba === "function",
      decisionFunction: typeof est.decisionFunction === "function",
      transform: typeof est.transform === "function",
      rawScore: false,
    },
  };
}
