/**
 * @module The tree models modelserve rebuilds (`sklearn.tree`, the forests and `IsolationForest` of
 * `sklearn.ensemble`), by Python class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { forestClassifier, forestRegressor, treeClassifier, treeRegressor } from "./forests.ts";
import { isolationForest } from "./isolation-forest.ts";

/** The tree and forest builders. */
export const builders: BuilderTable = {
  DecisionTreeClassifier: treeClassifier,
  ExtraTreeClassifier: treeClassifier,
  DecisionTreeRegressor: treeRegressor,
  ExtraTreeRegressor: treeRegressor,
  RandomForestClassifier: forestClassifier,
  ExtraTreesClassifier: forestClassifier,
  RandomForestRegressor: forestRegressor,
  ExtraTreesRegressor: forestRegressor,
  IsolationForest: isolationForest,
};
