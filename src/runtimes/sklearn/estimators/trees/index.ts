/** @module Builders of the trees estimator family, keyed by Python class name. */

import type { BuilderTable } from "../../estimator.ts";

/** The trees family's builders. */
export const TREES_BUILDERS: BuilderTable = {};
