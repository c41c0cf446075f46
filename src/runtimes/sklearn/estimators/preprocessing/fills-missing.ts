/**
 * @module Which built transformers leave no missing value in their output (an imputer, or a Pipeline
 * whose steps cope with NaN up to an imputer). A ColumnTransformer marks only the columns they consume as
 * nullable: a scaler passes NaN through, and the model after it would then fail on it.
 */

import type { SkEstimator } from "../../estimator.ts";

const filling = new WeakSet<SkEstimator>();

/** Records that `est` outputs no missing values whatever its input. */
export function markFillsMissing(est: SkEstimator): SkEstimator {
  filling.add(est);
  return est;
}

/** Whether `est` was recorded as filling missing values. */
export function fillsMissing(est: SkEstimator | undefined): boolean {
  return est !== undefined && filling.has(est);
}
