/**
 * @module The few-rows path of scikit-learn tree ensembles that add one value per tree (forest
 * regressors, gradient boosting): the ensemble packed once (`packForest`, prepared by the loader worker
 * when it can) and each row walked through eight trees at a time in lock step (`packedLeaves`).
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { prepared } from "../../layouts.ts";
import { type CompiledTree, fitsPacked, packedLeaves, packForest } from "./tree.ts";

/**
 * Returns a function giving each tree's own leaf (a node index within that tree) for the row at `at`
 * of a row-major float64 matrix of `cols` columns. `name` keys the packing among the object's prepared
 * layouts. The returned array is reused by the next call.
 */
export function rowLeavesOf(
  o: PyObject,
  name: string,
  trees: readonly CompiledTree[],
  nFeatures: number,
): (x: Float64Array, at: number, cols: number) => Int32Array {
  const packed = prepared(
    o,
    name,
    () => packForest(trees),
    (v) => fitsPacked(v, trees),
  );
  const leaves = new Int32Array(trees.length);
  const scratch = new Float64Array(nFeatures);
  return (x, at, cols) => {
    packedLeaves(packed, x, at, cols, leaves, cols <= scratch.length ? scratch : new Float64Array(cols));
    for (let t = 0; t < leaves.length; t++) leaves[t] -= packed.offsets[t];
    return leaves;
  };
}
