/**
 * @module The ensembles of other estimators modelserve rebuilds (AdaBoost, voting, bagging and stacking
 * from `sklearn.ensemble`; `sklearn.calibration` and `IsotonicRegression`), by Python class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { adaBoostClassifier, adaBoostRegressor } from "./adaboost.ts";
import { calibratedClassifierCV, isotonicRegression } from "./calibration.ts";
import {
  baggingClassifier,
  baggingRegressor,
  stacking,
  votingClassifier,
  votingRegressor,
} from "./voting-bagging.ts";

/** The ensemble builders. */
export const builders: BuilderTable = {
  AdaBoostClassifier: adaBoostClassifier,
  AdaBoostRegressor: adaBoostRegressor,
  CalibratedClassifierCV: calibratedClassifierCV,
  IsotonicRegression: isotonicRegression,
  VotingClassifier: votingClassifier,
  VotingRegressor: votingRegressor,
  BaggingClassifier: baggingClassifier,
  BaggingRegressor: baggingRegressor,
  StackingClassifier: stacking,
  StackingRegressor: stacking,
};
