/** @module Builders of the linear estimator family, keyed by Python class name. */

import type { BuilderTable } from "../../estimator.ts";

/** The linear family's builders. */
export const LINEAR_BUILDERS: BuilderTable = {};
