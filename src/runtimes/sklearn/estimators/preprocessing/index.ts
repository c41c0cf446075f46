/** @module Builders of the preprocessing estimator family, keyed by Python class name. */

import type { BuilderTable } from "../../estimator.ts";

/** The preprocessing family's builders. */
export const PREPROCESSING_BUILDERS: BuilderTable = {};
