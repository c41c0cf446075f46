/** @module The neural networks modelserve rebuilds (`sklearn.neural_network`), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { classifier, regressor } from "./mlp.ts";

/** The neural-network builders. */
export const builders: BuilderTable = { MLPClassifier: classifier, MLPRegressor: regressor };
