/**
 * @module A HistGradientBoosting model's numeric trees packed for the lock-step walk of one row through
 * many trees (`walkTreesOfRow`): children side by side, leaves stepping onto themselves, each tree's
 * depth, the trees shallowest first. Rows without NaN take it; trees with a categorical split, and rows
 * with a NaN, keep the node-by-node walk. Same leaves as that walk (`x <= num_threshold` on float64
 * inputs), so the sums, added in the model's order, are bit for bit the same.
 */

import {
  type LockstepTree,
  lockstepTree,
  treesByDepth,
  UNKNOWN_HEIGHT,
  walkTreesOfRow,
} from "../../../common/lockstep-walk.ts";
import { isArrayOf, isRecord } from "../../layouts.ts";
import type { HgbTree } from "./hist-gradient-boosting.ts";

/** The packed numeric trees of a model, in the model's tree order (iteration by iteration). */
export interface HgbRows {
  readonly lockstep: LockstepTree;
  /** Each tree's root in the packed arrays (-1: the tree keeps the node-by-node walk). */
  readonly roots: Int32Array;
  readonly steps: Uint8Array;
  /** Packed trees by depth, shallowest first; the first `walked` are walked in lock step. */
  readonly order: Int32Array;
  readonly walked: number;
}

/** Whether a tree's splits are all numeric (the trees the lock-step walk takes). */
const isNumeric = (t: HgbTree): boolean => !t.isCategorical.includes(1);

/**
 * Packs the trees (`trees[t]`, in the model's order) whose splits are all numeric. Done by the loader
 * worker when it can (see layouts.ts), so that the main thread and every inference thread bind one copy.
 */
export function packHgbRows(trees: readonly HgbTree[]): HgbRows {
  const numeric = trees.map(isNumeric);
  const total = trees.reduce((n, t, i) => n + (numeric[i] ? t.value.length : 0), 0);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const roots = new Int32Array(trees.length).fill(-1);
  let base = 0;
  trees.forEach((t, i) => {
    if (!numeric[i]) return;
    roots[i] = base;
    for (let n = 0; n < t.value.length; n++) {
      const leaf = t.isLeaf[n] === 1;
      left[base + n] = leaf ? -1 : t.left[n] + base;
      right[base + n] = leaf ? -1 : t.right[n] + base;
      feature[base + n] = t.feature[n];
      threshold[base + n] = t.threshold[n];
    }
    base += t.value.length;
  });
  const lockstep = lockstepTree(left, right, feature, threshold);
  const steps = Uint8Array.from(roots, (r) => (r < 0 ? UNKNOWN_HEIGHT : lockstep.height[r]));
  return { lockstep, roots, steps, ...treesByDepth(steps) };
}

/** Cheap check of a prepared packing of `trees`: array types, lengths and each tree's root. */
export function fitsHgbRows(v: unknown, trees: readonly HgbTree[]): v is HgbRows {
  if (!isRecord(v) || !isRecord(v.lockstep)) return false;
  const n = trees.length;
  const { roots, steps, order, walked } = v;
  if (!isArrayOf(roots, Int32Array, n) || !isArrayOf(steps, Uint8Array, n)) return false;
  if (!isArrayOf(order, Int32Array, n) || !order.every((t) => t >= 0 && t < n)) return false;
  if (typeof walked !== "number" || !Number.isInteger(walked) || walked < 0 || walked > n) return false;
  let total = 0;
  for (let t = 0; t < n; t++) {
    if (roots[t] !== (isNumeric(trees[t]) ? total : -1)) return false;
    if (roots[t] >= 0) total += trees[t].value.length;
  }
  const { kids, feature, threshold, nanRight, isLeaf, height } = v.lockstep;
  return (
    isArrayOf(kids, Int32Array, 2 * total) &&
    isArrayOf(feature, Int32Array, total) &&
    isArrayOf(threshold, Float64Array, total) &&
    isArrayOf(nanRight, Uint8Array, total) &&
    isArrayOf(isLeaf, Uint8Array, total) &&
    isArrayOf(height, Uint8Array, total)
  );
}

/**
 * Each tree's leaf (tree-local node index) for the row at `at`, into `out[t]`, for the packed trees
 * walked in lock step; returns false, writing nothing, when the row holds a NaN. Trees outside the
 * lock-step walk (`order` from `walked` on) are left to the caller.
 */
export function hgbRowLeaves(
  p: HgbRows,
  x: Float64Array,
  at: number,
  cols: number,
  out: Int32Array,
): boolean {
  for (let c = at; c < at + cols; c++) if (Number.isNaN(x[c])) return false;
  walkTreesOfRow(p.lockstep, p.roots, p.steps, p.order, p.walked, x, at, out);
  for (let g = 0; g < p.walked; g++) out[p.order[g]] -= p.roots[p.order[g]];
  return true;
}
