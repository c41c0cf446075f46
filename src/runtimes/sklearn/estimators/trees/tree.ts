/**
 * @module `sklearn.tree._tree.Tree` compiled into flat arrays: float32-cast inputs compared `<=`
 * against float64 thresholds, NaN routed by `missing_go_to_left` (scikit-learn ≥ 1.3 layouts).
 * Ref: sklearn `tree/_tree.pyx` (`apply_dense`, `predict`).
 */

import type { NdArray, PyObject } from "../../../../formats/pickle/py-objects.ts";
import { lockstepTree, walkLockstep } from "../../../common/lockstep-walk.ts";
import { expect, spendNodes } from "../../checks.ts";
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
  /**
   * The leaves reached by every row of a row-major matrix already cast to float32 (see
   * {@link float32Rows}): the batch path, one tight loop per tree. `nan` says whether `x` may hold a
   * NaN (default: scan it); an ensemble scans once with {@link hasNaN} and tells every tree.
   */
  leaves(x: Float32Array, rows: number, cols: number, out: Int32Array, nan?: boolean): void;
  /** The node values, `nodeCount × width`. */
  readonly values: Float64Array;
  /** The node arrays as scikit-learn stores them (`-1` children at leaves), for packing ensembles. */
  readonly nodes: {
    readonly left: Int32Array;
    readonly right: Int32Array;
    readonly feature: Int32Array;
    readonly threshold: Float64Array;
    readonly missingLeft: Uint8Array;
    /** `weighted_n_node_samples`: the training weight through each node (TreeSHAP's cover). */
    readonly cover: Float64Array;
  };
}

function column(nodes: NdArray, name: string, required = true): Float64Array | undefined {
  const f = nodes.fields?.get(name);
  if (!f) {
    if (required) throw new AttributeError(`Tree.nodes has no field ${name}`);
    return undefined;
  }
  if (f instanceof Float64Array) return f;
  // A plain loop: `Float64Array.from` with a mapper is many times slower on millions of nodes.
  const src = f as ArrayLike<number | bigint>;
  const out = new Float64Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(src[i]);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * An integer node field (children, feature) as Int32: int64 fields are read from their low words,
 * each checked to fit (a value beyond 32 bits is refused, never truncated).
 */
function intColumn(nodes: NdArray, name: string): Int32Array {
  const f = nodes.fields?.get(name);
  if (!f) throw new AttributeError(`Tree.nodes has no field ${name}`);
  if (f instanceof Int32Array) return f;
  const out = new Int32Array(f.length);
  if (f instanceof BigInt64Array) {
    const words = new Int32Array(f.buffer, f.byteOffset, f.length * 2);
    // Decoded arrays are in native byte order: the low word comes first on little-endian hosts.
    const l = LITTLE_ENDIAN ? 0 : 1;
    for (let i = 0; i < out.length; i++) {
      const lo = words[2 * i + l];
      if (words[2 * i + 1 - l] !== lo >> 31)
        throw new AttributeError(`Tree.nodes.${name}[${i}] = ${f[i]} is beyond 32 bits`);
      out[i] = lo;
    }
    return out;
  }
  const src = f as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) {
    const v = Number(src[i]);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      throw new AttributeError(`Tree.nodes.${name}[${i}] = ${v} is not a 32-bit integer`);
    out[i] = v;
  }
  return out;
}

/** Trees already compiled, by pickled object: a tree the memo shares is compiled once. */
const compiled = new WeakMap<PyObject, { nFeatures: number; tree: CompiledTree }>();

/**
 * Compiles a pickled Tree object, once per object; every reference is charged to the load's node
 * budget (see checks.ts), so a tree shared a million times cannot build a million-tree ensemble.
 */
export function compileTree(tree: PyObject, nFeatures: number): CompiledTree {
  const hit = compiled.get(tree);
  if (hit && hit.nFeatures === nFeatures) {
    spendNodes(hit.tree.nodeCount, "a shared Tree");
    return hit.tree;
  }
  const out = compileTreeOnce(tree, nFeatures);
  spendNodes(out.nodeCount, "a Tree");
  compiled.set(tree, { nFeatures, tree: out });
  return out;
}

function compileTreeOnce(tree: PyObject, nFeatures: number): CompiledTree {
  const nodes = need(tree, "nodes");
  if (!isArray(nodes) || !nodes.fields) throw new AttributeError("Tree.nodes is not a structured array");
  const n = nodes.shape[0];
  const left = intColumn(nodes, "left_child");
  const right = intColumn(nodes, "right_child");
  const feature = intColumn(nodes, "feature");
  const threshold = column(nodes, "threshold")!;
  const missing = column(nodes, "missing_go_to_left", false);
  // Always an array (zeros without the field), so the hot loops stay monomorphic.
  const missingLeft = missing ? Uint8Array.from(missing) : new Uint8Array(n);
  const vals = floats(need(tree, "values"), "Tree.values");
  if (vals.shape[0] !== n) throw new AttributeError(`Tree.values has ${vals.shape[0]} rows for ${n} nodes`);
  const width = vals.data.length / Math.max(n, 1);
  expect(
    Number.isInteger(width) && width >= 1,
    "Tree",
    "values",
    "one row of values per node",
    vals.shape.join("×"),
  );
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) continue;
    if (left[i] <= i || right[i] <= i || left[i] >= n || right[i] >= n)
      throw new AttributeError(`Tree node ${i} has invalid children`);
    if (feature[i] < 0 || feature[i] >= nFeatures)
      throw new AttributeError(`Tree node ${i} splits on feature ${feature[i]} of ${nFeatures}`);
  }
  const f32 = Math.fround;
  const anyMissingLeft = missingLeft.includes(1);
  const lockstep = lockstepTree(left, right, feature, threshold);
  /** One row at a time, with missing-value routing. */
  const walkEach = (x: Float32Array, rows: number, cols: number, out: Int32Array): void => {
    for (let r = 0, at = 0; r < rows; r++, at += cols) {
      let i = 0;
      let l = left[0];
      while (l !== -1) {
        const v = x[at + feature[i]];
        // NaN fails `<=`: it goes right unless the node sends missing values left.
        if (v <= threshold[i]) i = l;
        else i = missingLeft[i] === 1 && Number.isNaN(v) ? l : right[i];
        l = left[i];
      }
      out[r] = i;
    }
  };
  return {
    nodeCount: n,
    width,
    nOutputs: vals.shape[1] ?? 1,
    hasMissing: missing !== undefined,
    values: vals.data,
    nodes: {
      left,
      right,
      feature,
      threshold,
      missingLeft,
      cover: column(nodes, "weighted_n_node_samples", false) ?? new Float64Array(0),
    },
    leaf(x, at) {
      let i = 0;
      // Children always have larger indices (checked above), so this loop ends.
      while (left[i] !== -1) {
        const v = f32(x[at + feature[i]]);
        if (Number.isNaN(v)) i = missingLeft[i] ? left[i] : right[i];
        else i = v <= threshold[i] ? left[i] : right[i];
      }
      return i;
    },
    leaves(x, rows, cols, out, nan) {
      // Only a NaN can reach a node that sends missing values left; batches without one take the fast walk.
      if (anyMissingLeft && (nan ?? hasNaN(x))) walkEach(x, rows, cols, out);
      else walkLockstep(lockstep, 0, x, 0, rows, cols, out);
    },
  };
}

/** Whether any value is NaN. */
export function hasNaN(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) return true;
  return false;
}

/** The rows cast to float32 once, as scikit-learn's trees read `X` (`DTYPE = float32`). */
export function float32Rows(data: Float64Array): Float32Array {
  return new Float32Array(data);
}

/**
 * An ensemble's trees in one set of arrays (children re-based to global node indices), so a few rows
 * walk every tree in one loop, without a call per tree: the path of a single-row request.
 */
export interface PackedForest {
  readonly trees: number;
  readonly roots: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
}

/** Packs compiled trees; `offsets[t]` is tree `t`'s first global node index. */
export function packForest(trees: readonly CompiledTree[]): PackedForest & { readonly offsets: Int32Array } {
  const total = trees.reduce((a, t) => a + t.nodeCount, 0);
  const roots = new Int32Array(trees.length);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const missingLeft = new Uint8Array(total);
  let base = 0;
  trees.forEach((t, i) => {
    roots[i] = base;
    const n = t.nodes;
    for (let j = 0; j < t.nodeCount; j++) {
      left[base + j] = n.left[j] === -1 ? -1 : n.left[j] + base;
      right[base + j] = n.right[j] === -1 ? -1 : n.right[j] + base;
      feature[base + j] = n.feature[j];
      threshold[base + j] = n.threshold[j];
      missingLeft[base + j] = n.missingLeft[j];
    }
    base += t.nodeCount;
  });
  return { trees: trees.length, roots, left, right, feature, threshold, missingLeft, offsets: roots.slice() };
}

/** The global leaf each tree sends row `at` of a float64 row-major matrix to (float32 cast, NaN routing). */
export function packedLeaves(f: PackedForest, x: Float64Array, at: number, out: Int32Array): void {
  const { roots, left, right, feature, threshold, missingLeft } = f;
  for (let t = 0; t < f.trees; t++) {
    let i = roots[t];
    while (left[i] !== -1) {
      const v = Math.fround(x[at + feature[i]]);
      if (v <= threshold[i]) i = left[i];
      else i = missingLeft[i] === 1 && Number.isNaN(v) ? left[i] : right[i];
    }
    out[t] = i;
  }
}
