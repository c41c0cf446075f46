/**
 * @module Composition and meta-estimator builders: FeatureUnion, TransformedTargetRegressor, AdaBoost and
 * CalibratedClassifierCV (Pipeline and ColumnTransformer live with preprocessing).
 */

import type { BuilderTable } from "../../estimator.ts";
import { adaBoostClassifier, adaBoostRegressor } from "../ensemble/adaboost.ts";
import { calibratedClassifierCV, isotonicRegression } from "../ensemble/calibration.ts";
import { featureUnion } from "./feature-union.ts";
import { transformedTargetRegressor } from "./transformed-target.ts";

/** The composition builders. */
export const COMPOSITION_BUILDERS: BuilderTable = {
  FeatureUnion: featureUnion,
  TransformedTargetRegressor: transformedTargetRegressor,
  AdaBoostClassifier: adaBoostClassifier,
  AdaBoostRegressor: adaBoostRegressor,
  CalibratedClassifierCV: calibratedClassifierCV,
  IsotonicRegression: isotonicRegression,
};
