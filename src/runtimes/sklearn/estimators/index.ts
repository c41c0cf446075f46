/** @module Every scikit-learn estimator modelserve can rebuild, by Python class name. */

import type { BuilderTable } from "../estimator.ts";
import { COMPOSITION_BUILDERS } from "./composition/index.ts";
import { LINEAR_BUILDERS } from "./linear/index.ts";
import { PREPROCESSING_BUILDERS } from "./preprocessing/index.ts";
import { TREES_BUILDERS } from "./trees/index.ts";

/** All builders. A class that is allow-listed but missing here is refused at load time. */
export const ESTIMATOR_BUILDERS: BuilderTable = {
  ...TREES_BUILDERS,
  ...LINEAR_BUILDERS,
  ...PREPROCESSING_BUILDERS,
  ...COMPOSITION_BUILDERS,
};
