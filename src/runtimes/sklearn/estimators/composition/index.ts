/**
 * @module The estimators that compose others modelserve rebuilds (`Pipeline`, `FeatureUnion`,
 * `TransformedTargetRegressor`, fitted searches), by Python class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { featureUnion } from "./feature-union.ts";
import { pipeline } from "./pipeline.ts";
import { searchCV } from "./search.ts";
import { transformedTargetRegressor } from "./transformed-target.ts";

/** The composition builders. */
export const builders: BuilderTable = {
  Pipeline: pipeline,
  FeatureUnion: featureUnion,
  TransformedTargetRegressor: transformedTargetRegressor,
  GridSearchCV: searchCV,
  RandomizedSearchCV: searchCV,
  HalvingGridSearchCV: searchCV,
  HalvingRandomSearchCV: searchCV,
};
