/**
 * @module Path-dependent TreeSHAP (Lundberg et al. 2020, algorithm 2): exact Shapley values of a tree
 * ensemble's output, with the expectation over the training distribution the trees recorded (each
 * node's cover). One recursion per tree keeps the path of unique features seen so far; EXTEND adds a
 * split's zero/one fractions, UNWIND removes a feature that is split on again. This follows the
 * arithmetic order of the libraries (XGBoost `RegTree::TreeShap`, LightGBM `Tree::TreeSHAP`, shap's
 * `tree_shap_recursive`), so with float32 rounding after every operation it gives XGBoost's bits and in
 * float64 the C++ doubles of LightGBM and shap.
 */

import { Walker32 } from "./walker32.ts";
import { Walker64 } from "./walker64.ts";

/** Arithmetic of the explanation: XGBoost works in float32, LightGBM and shap in float64. */
export type Precision = "float32" | "float64";

/**
 * A tree in the neutral form every runtime can produce from its own compiled trees. Nodes are
 * numbered from 0 (the root); children are node numbers, `-1` in `left` marks a leaf.
 */
export interface ShapTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Split feature of internal nodes (column of the explained row). */
  readonly feature: Int32Array;
  /** Cover of every node: training weight (hessian sum, sample count) that reached it. */
  readonly cover: Float64Array;
  /** Leaf values, `nodes × width` (internal nodes unused). Weights of dart or forests already applied in float64 mode. */
  readonly values: Float64Array;
  /** Outputs per leaf (classes of a scikit-learn classifier tree; 1 for boosted trees). */
  readonly width: number;
  /** The first output (class, group) this tree contributes to. */
  readonly output: number;
  /** Tree weight applied to the tree's contributions afterwards (float32 mode only; dart), else 1. */
  readonly weight: number;
  /** The tree's expected value per output (its share of the bias), `width` values. */
  readonly expected: Float64Array;
  /** Depth of the deepest leaf (root alone: 0). */
  readonly depth: number;
  /** Whether row `at` of `x` takes the left child at internal node `node` (missing values included). */
  goesLeft(node: number, x: Float64Array, at: number): boolean;
}

/** A tree ensemble ready to explain. */
export interface ShapEnsemble {
  readonly trees: readonly ShapTree[];
  /** Number of input columns the trees split on. */
  readonly features: number;
  /** Number of outputs (groups, classes). */
  readonly outputs: number;
  readonly precision: Precision;
  /** Added to each output's bias after every tree (XGBoost's base score, shap's base offset). */
  readonly base: Float64Array;
}

/** The recursion over one tree, in one precision ({@link Walker32}, {@link Walker64}). */
export interface PathWalker {
  tree: ShapTree;
  x: Float64Array;
  at: number;
  phi: Float64Array;
  phiBase: number;
  stride: number;
  /** Explains `tree` for row `at` of `x` into `phi` from the root. */
  root(): void;
}

/**
 * SHAP values of every row: `rows × outputs × (features + 1)` values, row-major, the bias (expected
 * value) last in each block of `features + 1`, as XGBoost's `pred_contribs` lays them out.
 *
 * In float32 mode each tree is explained into its own buffer, weighted and added in tree order, as
 * XGBoost does; in float64 mode trees add straight into the output (bias first), as LightGBM and shap do.
 */
export function treeShap(e: ShapEnsemble, x: Float64Array, rows: number, cols: number): Float64Array {
  const F = e.features;
  const width = F + 1;
  const K = e.outputs;
  const out = new Float64Array(rows * K * width);
  let maxDepth = 0;
  for (const t of e.trees) if (t.depth > maxDepth) maxDepth = t.depth;
  const f32 = e.precision === "float32";
  const walker: PathWalker = f32 ? new Walker32(maxDepth) : new Walker64(maxDepth);
  const R = Math.fround;
  const scratch = new Float64Array(width);
  // float64 mode: one row's values interleaved as shap keeps them (feature × outputs + output).
  const row = new Float64Array(width * K);
  walker.x = x;
  for (let r = 0; r < rows; r++) {
    walker.at = r * cols;
    const rowBase = r * K * width;
    if (f32) {
      walker.phi = scratch;
      walker.phiBase = 0;
      walker.stride = 1;
      for (const t of e.trees) {
        // One group per tree in XGBoost: explained alone, then weighted and added in tree order.
        scratch.fill(0);
        scratch[F] = R(scratch[F] + t.expected[0]);
        walker.tree = t;
        if (t.left[0] !== -1) walker.root();
        const o = rowBase + t.output * width;
        for (let c = 0; c < width; c++) {
          if (scratch[c] !== 0) out[o + c] = R(out[o + c] + R(scratch[c] * t.weight));
        }
      }
      for (let k = 0; k < K; k++) {
        const o = rowBase + k * width + F;
        out[o] = R(out[o] + e.base[k]);
      }
      continue;
    }
    row.fill(0);
    walker.phi = row;
    walker.stride = K;
    for (const t of e.trees) {
      // The tree's expected value first, then its path contributions, as LightGBM and shap add them.
      for (let k = 0; k < t.width; k++) row[F * K + t.output + k] += t.expected[k];
      walker.phiBase = t.output;
      walker.tree = t;
      if (t.left[0] !== -1) walker.root();
    }
    for (let k = 0; k < K; k++) row[F * K + k] += e.base[k];
    for (let k = 0; k < K; k++) for (let f = 0; f <= F; f++) out[rowBase + k * width + f] = row[f * K + k];
  }
  return out;
}

/** The deepest leaf's depth of a tree given by child arrays (`-1` marks a leaf). */
export function treeDepth(left: Int32Array, right: Int32Array): number {
  let max = 0;
  const stack: number[] = [0, 0];
  while (stack.length > 0) {
    const d = stack.pop()!;
    const n = stack.pop()!;
    if (left[n] === -1) {
      if (d > max) max = d;
      continue;
    }
    stack.push(left[n], d + 1, right[n], d + 1);
  }
  return max;
}
