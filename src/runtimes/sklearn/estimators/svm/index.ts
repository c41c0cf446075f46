/** @module The kernel support vector machines modelserve rebuilds (`sklearn.svm`, libsvm), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { svc, svr } from "./libsvm.ts";

/** The SVM builders. */
export const builders: BuilderTable = { SVC: svc, NuSVC: svc, SVR: svr, NuSVR: svr };
