/** @module The linear models modelserve rebuilds (`sklearn.linear_model`, linear `sklearn.svm`), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { classifier, logistic, regressor, sgdClassifier } from "./linear-models.ts";

/** The linear-model builders. */
export const builders: BuilderTable = {
  LogisticRegression: logistic,
  SGDClassifier: sgdClassifier,
  RidgeClassifier: (o) => classifier(o),
  LinearSVC: (o) => classifier(o),
  Perceptron: (o) => classifier(o),
  LinearRegression: regressor,
  Ridge: regressor,
  Lasso: regressor,
  ElasticNet: regressor,
  SGDRegressor: regressor,
  LinearSVR: regressor,
};
