/**
 * @module The multiclass and multi-output meta-estimators modelserve rebuilds (`sklearn.multiclass`,
 * `sklearn.multioutput`), by Python class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { chain, constantPredictor, multiOutput, oneVsOne, oneVsRest } from "./meta-estimators.ts";

/** The multiclass and multi-output builders. */
export const builders: BuilderTable = {
  OneVsRestClassifier: oneVsRest,
  OneVsOneClassifier: oneVsOne,
  _ConstantPredictor: (o) => constantPredictor(o),
  MultiOutputClassifier: multiOutput,
  MultiOutputRegressor: multiOutput,
  ClassifierChain: chain,
  RegressorChain: chain,
};
