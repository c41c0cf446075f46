/** @module The clustering classes modelserve rebuilds (`sklearn.cluster`), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { kmeans } from "./kmeans.ts";

/** The cluster builders. */
export const builders: BuilderTable = { KMeans: kmeans };
