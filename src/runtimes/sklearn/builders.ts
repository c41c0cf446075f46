/**
 * @module Every scikit-learn estimator modelserve can rebuild, by Python class name. Each folder of
 * `estimators/` is one family and contributes its table the same way: its `index.ts` exports
 * `builders` (class name → builder) and nothing else; the builders live in the folder's concept files.
 * Adding an estimator is a builder in its family's folder plus one line in that `index.ts` (and its
 * allow-list entries).
 */

import type { BuilderTable } from "./estimator.ts";
import { builders as boosting } from "./estimators/boosting/index.ts";
import { builders as cluster } from "./estimators/cluster/index.ts";
import { builders as composition } from "./estimators/composition/index.ts";
import { builders as ensemble } from "./estimators/ensemble/index.ts";
import { builders as linear } from "./estimators/linear/index.ts";
import { builders as multiclass } from "./estimators/multiclass/index.ts";
import { builders as naiveBayes } from "./estimators/naive-bayes/index.ts";
import { builders as neighbors } from "./estimators/neighbors/index.ts";
import { builders as neuralNetwork } from "./estimators/neural-network/index.ts";
import { builders as preprocessing } from "./estimators/preprocessing/index.ts";
import { builders as svm } from "./estimators/svm/index.ts";
import { builders as trees } from "./estimators/trees/index.ts";

const FAMILIES: readonly BuilderTable[] = [
  boosting,
  cluster,
  composition,
  ensemble,
  linear,
  multiclass,
  naiveBayes,
  neighbors,
  neuralNetwork,
  preprocessing,
  svm,
  trees,
];

/** All builders. A class that is allow-listed but missing here is refused at load time. */
export const ESTIMATOR_BUILDERS: BuilderTable = Object.assign({}, ...FAMILIES);
