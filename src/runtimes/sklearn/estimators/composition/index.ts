/** @module Composition builders: FeatureUnion and TransformedTargetRegressor (Pipeline and ColumnTransformer live with preprocessing). */

import type { BuilderTable } from "../../estimator.ts";
import { featureUnion } from "./feature-union.ts";
import { transformedTargetRegressor } from "./transformed-target.ts";

/** The composition builders. */
export const COMPOSITION_BUILDERS: BuilderTable = {
  FeatureUnion: featureUnion,
  TransformedTargetRegressor: transformedTargetRegressor,
};
