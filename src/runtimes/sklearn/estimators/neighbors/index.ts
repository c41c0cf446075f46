/** @module The nearest-neighbour estimators modelserve rebuilds (`sklearn.neighbors`), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { classifier, regressor } from "./k-neighbors.ts";
import { nearestNeighbors } from "./unsupervised.ts";

/** The neighbours builders. */
export const builders: BuilderTable = {
  KNeighborsClassifier: classifier,
  KNeighborsRegressor: regressor,
  NearestNeighbors: nearestNeighbors,
};
