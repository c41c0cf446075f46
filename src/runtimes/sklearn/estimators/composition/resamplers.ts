/**
 * @module imbalanced-learn's resamplers (`imblearn.over_sampling`, `under_sampling`, `combine`: SMOTE,
 * RandomUnderSampler, SMOTETomek…). They change the training rows in `fit` and have neither `predict`
 * nor `transform`: imbalanced-learn's own `Pipeline` skips them when predicting (its `Pipeline` is
 * scikit-learn's, with samplers allowed as steps), and one saved alone cannot score anything. Their
 * fitted state (sampling counts, a fitted `NearestNeighbors`) is inert data here.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";

const RESAMPLER_MODULE = /^imblearn\.(over_sampling|under_sampling|combine)(\.|$)/;

/** Whether an unpickled object is an imbalanced-learn resampler. */
export const isResampler = (o: PyObject): boolean => RESAMPLER_MODULE.test(o.module);

/** Whether a qualified global (`module.name`) is an imbalanced-learn resampler class. */
export const isResamplerName = (qualified: string): boolean =>
  RESAMPLER_MODULE.test(qualified.slice(0, qualified.lastIndexOf(".")));

/** Why a resampler saved alone cannot be served. */
export const resamplerReason = (o: PyObject): string =>
  `${o.name} is an imbalanced-learn resampler: it changes the training rows in fit and has no predict or transform, so it cannot score new data by design`;
