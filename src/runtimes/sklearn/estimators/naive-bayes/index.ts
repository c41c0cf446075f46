/** @module The naive Bayes classifiers modelserve rebuilds (`sklearn.naive_bayes`), by Python class name. */

import type { BuilderTable } from "../../estimator.ts";
import { bernoulliNB, complementNB, gaussianNB, multinomialNB } from "./naive-bayes.ts";

/** The naive Bayes builders. */
export const builders: BuilderTable = {
  GaussianNB: gaussianNB,
  MultinomialNB: multinomialNB,
  ComplementNB: complementNB,
  BernoulliNB: bernoulliNB,
};
