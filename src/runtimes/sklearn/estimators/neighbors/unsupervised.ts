/**
 * @module `NearestNeighbors`: an index of training rows answering `kneighbors` queries, with no
 * `predict` or `transform`. It appears inside other objects (imbalanced-learn's SMOTE keeps one) as
 * data; saved alone it is refused, since no prediction can come from it.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";

/** Refuses a bare `NearestNeighbors`, saying why. */
export function nearestNeighbors(o: PyObject, ctx: BuildContext): SkEstimator {
  throw Errors.unsupportedModel(
    ctx.file,
    `${o.name} only finds the training rows nearest to a query (kneighbors); it has no predict or transform, so it cannot score new data by design`,
  );
}
