/**
 * @module Composition and meta-estimator builders: FeatureUnion, TransformedTargetRegressor, AdaBoost,
 * CalibratedClassifierCV, voting, bagging, stacking and fitted searches (Pipeline and ColumnTransformer live with preprocessing).
 */

import type { BuilderTable } from "../../estimator.ts";
import { adaBoostClassifier, adaBoostRegressor } from "../ensemble/adaboost.ts";
import { calibratedClassifierCV, isotonicRegression } from "../ensemble/calibration.ts";
import {
  baggingClassifier,
  baggingRegressor,
  stacking,
  votingClassifier,
  votingRegressor,
} from "../ensemble/voting-bagging.ts";
import { featureUnion } from "./feature-union.ts";
import { searchCV } from "./search.ts";
import { transformedTargetRegressor } from "./transformed-target.ts";

/** The composition builders. */
export const COMPOSITION_BUILDERS: BuilderTable = {
  FeatureUnion: featureUnion,
  TransformedTargetRegressor: transformedTargetRegressor,
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
  GridSearchCV: searchCV,
  RandomizedSearchCV: searchCV,
  HalvingGridSearchCV: searchCV,
  HalvingRandomSearchCV: searchCV,
};
