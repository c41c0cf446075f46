/**
 * @module `sklearn.tree._tree.Tree` compiled into flat arrays: float32-cast inputs compared `<=`
 * against float64 thresholds, NaN routed by `missing_go_to_left` (scikit-learn ≥ 1.3 layouts).
 * Ref: sklearn `tree/_tree.pyx` (`apply_dense`, `predict`).
 */

import type { NdArray, PyObject } from "../../../../formats/pickle/py-objects.ts";
import { AttributeError, floats, isArray, need } from "../../py-access.ts";

/** A compiled tree. */
export interface CompiledTree {
  readonly nodeCount: number;
  /** Outputs per node: `n_outputs × max_n_classes` values. */
  readonly width: number;
  readonly nOutputs: number;
  /** Whether the layout records where missing values go (sklearn ≥ 1.3). */
  readonly hasMissing: boolean;
  /** The leaf reached by one row (`x` row-major, row at `at`). */
  leaf(x: Float64Array, at: number): number;
  /** The node values, `nodeCount × width`. */
  readonly values: Float64Array;
}

function column(nodes: NdArray, name: string, required = true): Float64Array | undefined {
  const f = nodes.fields?.get(name);
  if (!f) {
    if (required) throw new AttributeError(`Tree.nodes has no field ${name}`);
    return undefined;
  }
  return f instanceof Float64Array ? f : Float64Array.from(f as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Compiles a pickled Tree object. */
export function compileTree(tree: PyObject, nFeatures: number): CompiledTree {
  const nodes = need(tree, "nodes");
  if (!isArray(nodes) || !nodes.fields) throw new AttributeError("Tree.nodes is not a structured array");
  const n = nodes.shape[0];
  const left = Int32Array.from(column(nodes, "left_child")!);
  const right = Int32Array.from(column(nodes, "right_child")!);
  const feature = Int32Array.from(column(nodes, "feature")!);
  const threshold = column(nodes, "threshold")!;
  const missing = column(nodes, "missing_go_to_left", false);
  const missingLeft = missing ? Uint8Array.from(missing) : undefined;
  const vals = floats(need(tree, "values"), "Tree.values");
  if (vals.shape[0] !== n) throw new AttributeError(`Tree.values has ${vals.shape[0]} rows for ${n} nodes`);
  const width = vals.data.length / Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) continue;
    if (left[i] <= i || right[i] <= i || left[i] >= n || right[i] >= n)
      throw new AttributeError(`Tree node ${i} has invalid children`);
    if (feature[i] < 0 || feature[i] >= nFeatures)
      throw new AttributeError(`Tree node ${i} splits on feature ${feature[i]} of ${nFeatures}`);
  }
  const f32 = Math.fround;
  return {
    nodeCount: n,
    width,
    nOutputs: vals.shape[1] ?? 1,
    hasMissing: missingLeft !== undefined,
    values: vals.data,
    leaf(x, at) {
      let i = 0;
      // Children always have larger indices (checked above), so this loop ends.
      while (left[i] !== -1) {
        const v = f32(x[at + feature[i]]);
        if (Number.isNaN(v)) i = missingLeft?.[i] ? left[i] : right[i];
        else i = v <= threshold[i] ? left[i] : right[i];
      }
      return i;
    },
  };
}
