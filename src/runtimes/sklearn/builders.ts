/** @module Every scikit-learn estimator modelserve can rebuild, by Python class name. */

import type { BuilderTable } from "../estimator.ts";
import { GRADIENT_BOOSTING_BUILDERS } from "./boosting/gradient-boosting.ts";
import { HIST_BOOSTING_BUILDERS } from "./boosting/hist-gradient-boosting.ts";
import { WRAPPED_BOOSTER_BUILDERS } from "./boosting/wrapped-boosters.ts";
import { CLUSTER_BUILDERS } from "./cluster/index.ts";
import { COMPOSITION_BUILDERS } from "./composition/index.ts";
import { LINEAR_BUILDERS } from "./linear/index.ts";
import { MULTICLASS_BUILDERS } from "./multiclass/index.ts";
import { NAIVE_BAYES_BUILDERS } from "./naive-bayes/index.ts";
import { NEIGHBORS_BUILDERS } from "./neighbors/index.ts";
import { NEURAL_NETWORK_BUILDERS } from "./neural-network/index.ts";
import { PREPROCESSING_BUILDERS } from "./preprocessing/index.ts";
import { SVM_BUILDERS } from "./svm/index.ts";
import { TREES_BUILDERS } from "./trees/index.ts";
import { ISOLATION_FOREST_BUILDERS } from "./trees/isolation-forest.ts";

/** All builders. A class that is allow-listed but missing here is refused at load time. */
export const ESTIMATOR_BUILDERS: BuilderTable = {
  ...TREES_BUILDERS,
  ...LINEAR_BUILDERS,
  ...PREPROCESSING_BUILDERS,
  ...GRADIENT_BOOSTING_BUILDERS,
  ...HIST_BOOSTING_BUILDERS,
  ...ISOLATION_FOREST_BUILDERS,
  ...SVM_BUILDERS,
  ...NEIGHBORS_BUILDERS,
  ...NAIVE_BAYES_BUILDERS,
  ...NEURAL_NETWORK_BUILDERS,
  ...CLUSTER_BUILDERS,
  ...COMPOSITION_BUILDERS,
  ...MULTICLASS_BUILDERS,
  ...WRAPPED_BOOSTER_BUILDERS,
};
