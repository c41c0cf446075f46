/**
 * @module Builder of fitted hyper-parameter searches (GridSearchCV, RandomizedSearchCV and the halving
 * variants): people save the search object itself, and what it predicts with is `best_estimator_` (refit
 * on the whole data). A search saved with `refit=False` has no model and is refused. Its `cv_results_`,
 * scorers and splitters are inert data here. Ref: sklearn `model_selection/_search.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, isObject } from "../../py-access.ts";

/** A fitted search served as its `best_estimator_`. */
export function searchCV(o: PyObject, ctx: BuildContext): SkEstimator {
  const best = attr(o, "best_estimator_");
  if (!isObject(best))
    throw Errors.unsupportedModel(ctx.file, `${o.name} without best_estimator_ (fitted with refit=False)`);
  return ctx.build(best, `${o.name}.best_estimator_`);
}
