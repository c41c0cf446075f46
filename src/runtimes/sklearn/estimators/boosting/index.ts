/**
 * @module The gradient-boosting models modelserve rebuilds (`sklearn.ensemble` gradient boosting, the
 * dummy estimators that start them, and the scikit-learn wrappers of XGBoost and LightGBM), by Python
 * class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { dummyClassifier, dummyRegressor, gradientBoosting } from "./gradient-boosting.ts";
import { histGradientBoosting } from "./hist-gradient-boosting.ts";
import { wrappedBooster } from "./wrapped-boosters.ts";

/** The boosting builders. */
export const builders: BuilderTable = {
  GradientBoostingClassifier: gradientBoosting,
  GradientBoostingRegressor: gradientBoosting,
  DummyClassifier: dummyClassifier,
  DummyRegressor: dummyRegressor,
  HistGradientBoostingClassifier: histGradientBoosting,
  HistGradientBoostingRegressor: histGradientBoosting,
  XGBClassifier: wrappedBooster,
  XGBRegressor: wrappedBooster,
  LGBMClassifier: wrappedBooster,
  LGBMRegressor: wrappedBooster,
};
