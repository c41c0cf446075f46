/**
 * @module `sklearn.tree._tree.Tree` compiled into flat arrays: float32-cast inputs compared `<=`
 * against float64 thresholds, NaN routed by `missing_go_to_left` (scikit-learn ≥ 1.3 layouts).
 * Ref: sklearn `tree/_tree.pyx` (`apply_dense`, `predict`).
 */

import type { NdArray, PyObject } from "../../../../formats/pickle/py-objects.ts";
import {
  type LockstepTree,
  lockstepTree,
  treesByDepth,
  UNKNOWN_HEIGHT,
  walkLockstep,
  walkLockstepNaN,
  walkTreesOfRow,
} from "../../../common/lockstep-walk.ts";
import { expect, spendNodes } from "../../checks.ts";
import { isArrayOf, isRecord, prepared } from "../../layouts.ts";
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
  /** The tree in the lock-step walk's layout (read by the forests' adding walk, `common/add-walk.ts`). */
  readonly lockstep: LockstepTree;
  /** Whether any node sends missing values left (a batch with a NaN then needs the NaN walk). */
  readonly anyMissingLeft: boolean;
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
 * budget (see checks.ts), so a tree shared a million times cannot build a million-tree ensemble. The
 * arrays come from the loader worker when it prepared them (see layouts.ts); only binding happens here.
 */
export function compileTree(tree: PyObject, nFeatures: number): CompiledTree {
  const hit = compiled.get(tree);
  if (hit && hit.nFeatures === nFeatures) {
    spendNodes(hit.tree.nodeCount, "a shared Tree");
    return hit.tree;
  }
  const layout = prepared(tree, `tree/${nFeatures}`, () => layoutTree(tree, nFeatures), isTreeLayout, true);
  const out = bindTree(layout);
  spendNodes(out.nodeCount, "a Tree");
  compiled.set(tree, { nFeatures, tree: out });
  return out;
}

/** A tree's arrays: everything of a {@link CompiledTree} but its functions (what the worker prepares). */
export interface TreeLayout {
  readonly nodeCount: number;
  readonly width: number;
  readonly nOutputs: number;
  readonly hasMissing: boolean;
  /** Whether any node sends missing values left (else every batch takes the lockstep walk). */
  readonly anyMissingLeft: boolean;
  readonly values: Float64Array;
  readonly nodes: CompiledTree["nodes"];
  readonly lockstep: LockstepTree;
}

/** Cheap check of a prepared layout: every array of the right type and length for its node count. */
function isTreeLayout(v: unknown): v is TreeLayout {
  if (!isRecord(v) || !isRecord(v.nodes) || !isRecord(v.lockstep)) return false;
  const n = v.nodeCount;
  const w = v.width;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) return false;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 1) return false;
  const { left, right, feature, threshold, missingLeft, cover } = v.nodes;
  const { kids, feature: lf, threshold: lt, nanRight, isLeaf, height } = v.lockstep;
  return (
    typeof v.nOutputs === "number" &&
    typeof v.hasMissing === "boolean" &&
    typeof v.anyMissingLeft === "boolean" &&
    isArrayOf(v.values, Float64Array, n * w) &&
    isArrayOf(left, Int32Array, n) &&
    isArrayOf(right, Int32Array, n) &&
    isArrayOf(feature, Int32Array, n) &&
    isArrayOf(threshold, Float64Array, n) &&
    isArrayOf(missingLeft, Uint8Array, n) &&
    isArrayOf(cover, Float64Array) &&
    (cover.length === n || cover.length === 0) &&
    isArrayOf(kids, Int32Array, 2 * n) &&
    isArrayOf(lf, Int32Array, n) &&
    isArrayOf(lt, Float64Array, n) &&
    isArrayOf(nanRight, Uint8Array, n) &&
    isArrayOf(isLeaf, Uint8Array, n) &&
    isArrayOf(height, Uint8Array, n)
  );
}

/** Reads, converts and checks a pickled Tree's arrays (the data-sized work, done once per tree). */
function layoutTree(tree: PyObject, nFeatures: number): TreeLayout {
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
  return {
    nodeCount: n,
    width,
    nOutputs: vals.shape[1] ?? 1,
    hasMissing: missing !== undefined,
    anyMissingLeft: missingLeft.includes(1),
    values: vals.data,
    nodes: {
      left,
      right,
      feature,
      threshold,
      missingLeft,
      cover: column(nodes, "weighted_n_node_samples", false) ?? new Float64Array(0),
    },
    lockstep: lockstepTree(left, right, feature, threshold, missingLeft),
  };
}

/** The prediction functions of a laid-out tree (no data-sized work). */
function bindTree(layout: TreeLayout): CompiledTree {
  const { left, right, feature, threshold, missingLeft } = layout.nodes;
  const { anyMissingLeft, lockstep } = layout;
  const f32 = Math.fround;
  return {
    nodeCount: layout.nodeCount,
    width: layout.width,
    nOutputs: layout.nOutputs,
    hasMissing: layout.hasMissing,
    values: layout.values,
    nodes: layout.nodes,
    lockstep,
    anyMissingLeft,
    leaf(x, at) {
      let i = 0;
      // Children always have larger indices (checked when laid out), so this loop ends.
      while (left[i] !== -1) {
        const v = f32(x[at + feature[i]]);
        if (Number.isNaN(v)) i = missingLeft[i] ? left[i] : right[i];
        else i = v <= threshold[i] ? left[i] : right[i];
      }
      return i;
    },
    leaves(x, rows, cols, out, nan) {
      // A batch with a NaN, in a tree that sends some left, walks with each node's own direction for it.
      if (anyMissingLeft && (nan ?? hasNaN(x))) walkLockstepNaN(lockstep, 0, x, 0, rows, cols, out);
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
 * walk every tree in one loop, without a call per tree: the path of a single-row request. The layout is
 * the lock-step walk's (`lockstep-walk.ts`): children side by side, a leaf its own child on both sides,
 * so that eight trees walk a fixed number of steps together without a data-dependent branch.
 */
export interface PackedForest {
  readonly trees: number;
  readonly roots: Int32Array;
  /** Children side by side (`2n` left, `2n+1` right), global indices; a leaf points to itself. */
  readonly kids: Int32Array;
  /** Split feature; 0 at leaves (a step from a leaf reads a valid column and stays put). */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly isLeaf: Uint8Array;
  /** Each tree's depth (steps from its root to its deepest leaf); {@link UNKNOWN_DEPTH} beyond 254. */
  readonly depth: Uint8Array;
  /**
   * The trees by depth, shallowest first: the lock-step walk takes them eight at a time in this order,
   * so each eight walk about as many steps as each needs (in tree order, a shallow forest's eight
   * took the deepest one's steps: iris RF-100 ran 14 % slower than one tree at a time).
   */
  readonly order: Int32Array;
}

/** A packed tree's depth when it is too deep to record: its rows take the branching walk. */
const UNKNOWN_DEPTH = UNKNOWN_HEIGHT;

/** Packs compiled trees; `offsets[t]` is tree `t`'s first global node index. */
export function packForest(trees: readonly CompiledTree[]): PackedForest & { readonly offsets: Int32Array } {
  const total = trees.reduce((a, t) => a + t.nodeCount, 0);
  const roots = new Int32Array(trees.length);
  const kids = new Int32Array(2 * total);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const missingLeft = new Uint8Array(total);
  const isLeaf = new Uint8Array(total);
  const depth = new Uint8Array(trees.length);
  let base = 0;
  trees.forEach((t, i) => {
    roots[i] = base;
    const n = t.nodes;
    // Heights from the last node back: children always follow their parent (checked at layout).
    const height = new Uint8Array(t.nodeCount);
    for (let j = t.nodeCount - 1; j >= 0; j--) {
      const g = base + j;
      const leaf = n.left[j] === -1;
      isLeaf[g] = leaf ? 1 : 0;
      kids[2 * g] = leaf ? g : n.left[j] + base;
      kids[2 * g + 1] = leaf ? g : n.right[j] + base;
      feature[g] = leaf ? 0 : n.feature[j];
      threshold[g] = n.threshold[j];
      missingLeft[g] = n.missingLeft[j];
      if (!leaf) height[j] = Math.min(UNKNOWN_DEPTH, 1 + Math.max(height[n.left[j]], height[n.right[j]]));
    }
    depth[i] = t.nodeCount > 0 ? height[0] : 0;
    base += t.nodeCount;
  });
  const { order } = treesByDepth(depth);
  return {
    trees: trees.length,
    roots,
    kids,
    feature,
    threshold,
    missingLeft,
    isLeaf,
    depth,
    order,
    offsets: roots.slice(),
  };
}

/** Cheap check of a prepared packing of `trees`: array types, lengths and each tree's offset. */
export function fitsPacked(v: unknown, trees: readonly CompiledTree[]): v is ReturnType<typeof packForest> {
  if (!isRecord(v) || v.trees !== trees.length) return false;
  const { roots, offsets } = v;
  if (!isArrayOf(roots, Int32Array, trees.length) || !isArrayOf(offsets, Int32Array, trees.length))
    return false;
  let total = 0;
  for (let t = 0; t < trees.length; t++) {
    if (roots[t] !== total || offsets[t] !== total) return false;
    total += trees[t].nodeCount;
  }
  return (
    isArrayOf(v.kids, Int32Array, 2 * total) &&
    isArrayOf(v.feature, Int32Array, total) &&
    isArrayOf(v.threshold, Float64Array, total) &&
    isArrayOf(v.missingLeft, Uint8Array, total) &&
    isArrayOf(v.isLeaf, Uint8Array, total) &&
    isArrayOf(v.depth, Uint8Array, trees.length) &&
    isArrayOf(v.order, Int32Array, trees.length) &&
    v.order.every((t) => t >= 0 && t < trees.length)
  );
}

/**
 * The global leaf each tree sends row `at` of a float64 row-major matrix to (float32 cast, NaN routing),
 * into `out`; `xr` is scratch of at least `cols` numbers. A row without NaN walks eight trees at a time
 * in lock step, the split test an index rather than a branch (a single row's walk mispredicts about
 * half its branches: eight independent chains keep the CPU busy instead); a row with a NaN, or trees
 * too deep to record, take the branching walk.
 */
export function packedLeaves(
  f: PackedForest,
  x: Float64Array,
  at: number,
  cols: number,
  out: Int32Array,
  xr: Float64Array,
): void {
  let nan = false;
  for (let c = 0; c < cols; c++) {
    const v = Math.fround(x[at + c]);
    xr[c] = v;
    if (Number.isNaN(v)) nan = true;
  }
  if (nan) {
    branchingLeaves(f, xr, 0, f.trees, out);
    return;
  }
  // Trees too deep for their depth to be recorded sort last and take the branching walk.
  let known = f.trees;
  while (known > 0 && f.depth[f.order[known - 1]] === UNKNOWN_DEPTH) known--;
  walkTreesOfRow(f, f.roots, f.depth, f.order, known, xr, 0, out);
  branchingLeaves(f, xr, known, f.trees, out);
}

/**
 * The trees at positions `[from, to)` of {@link PackedForest.order} walked one at a time, with a branch
 * per split (NaN sent by `missingLeft`).
 */
function branchingLeaves(f: PackedForest, xr: Float64Array, from: number, to: number, out: Int32Array): void {
  const { roots, kids, feature, threshold, missingLeft, isLeaf, order } = f;
  for (let g = from; g < to; g++) {
    const t = order[g];
    let i = roots[t];
    while (isLeaf[i] === 0) {
      const v = xr[feature[i]];
      const left = v <= threshold[i] || (missingLeft[i] === 1 && Number.isNaN(v));
      i = kids[(i << 1) + (left ? 0 : 1)];
    }
    out[t] = i;
  }
}
