/**
 * @module Path-dependent TreeSHAP (Lundberg et al. 2020, algorithm 2): exact Shapley values of a tree
 * ensemble's output, with the expectation over the training distribution the trees recorded (each
 * node's cover). One recursion per tree keeps the path of unique features seen so far; EXTEND adds a
 * split's zero/one fractions, UNWIND removes a feature that is split on again. This follows the
 * arithmetic order of the libraries (XGBoost `RegTree::TreeShap`, LightGBM `Tree::TreeSHAP`, shap's
 * `tree_shap_recursive`), so with float32 rounding after every operation it gives XGBoost's bits and in
 * float64 the C++ doubles of LightGBM and shap.
 */

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

const same = (v: number): number => v;

/** Walks one tree: the path state lives in flat arrays, one slot per (depth, position). */
class Walker {
  readonly feat: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly pw: Float64Array;
  readonly R: (v: number) => number;
  tree!: ShapTree;
  x!: Float64Array;
  at = 0;
  phi!: Float64Array;
  /** Where output column 0 of feature 0 sits in `phi`, and how many outputs each feature holds. */
  phiBase = 0;
  stride = 1;
  /** Zero and one fractions handed to the next {@link Walker.visit}. */
  zf = 1;
  of = 1;

  /** Explains the current tree from its root. */
  root(): void {
    this.zf = 1;
    this.of = 1;
    this.visit(0, 0, 0, -1);
  }

  constructor(maxDepth: number, precision: Precision) {
    const d = maxDepth + 2;
    const size = (d * (d + 1)) / 2 + d;
    this.feat = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.pw = new Float64Array(size);
    this.R = precision === "float32" ? Math.fround : same;
  }

  /** EXTEND: adds a (zero, one) fraction pair for `feature` at `depth` of the path starting at `p`. */
  extend(p: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const { pw, R } = this;
    this.feat[p + depth] = feature;
    this.zero[p + depth] = zeroFraction;
    this.one[p + depth] = oneFraction;
    pw[p + depth] = depth === 0 ? 1 : 0;
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      pw[p + i + 1] = R(pw[p + i + 1] + R(R(R(oneFraction * pw[p + i]) * (i + 1)) / d1));
      pw[p + i] = R(R(R(zeroFraction * pw[p + i]) * (depth - i)) / d1);
    }
  }

  /** UNWIND: removes path element `index` from the path of `depth` starting at `p`. */
  unwind(p: number, depth: number, index: number): void {
    const { pw, R } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = pw[p + i];
        pw[p + i] = R(R(next * d1) / R((i + 1) * oneFraction));
        next = R(tmp - R(R(R(pw[p + i] * zeroFraction) * (depth - i)) / d1));
      } else {
        pw[p + i] = R(R(pw[p + i] * d1) / R(zeroFraction * (depth - i)));
      }
    }
    for (let i = index; i < depth; i++) {
      this.feat[p + i] = this.feat[p + i + 1];
      this.zero[p + i] = this.zero[p + i + 1];
      this.one[p + i] = this.one[p + i + 1];
    }
  }

  /** The total permutation weight if element `index` were unwound (without changing the path). */
  unwoundSum(p: number, depth: number, index: number): number {
    const { pw, R } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
    let total = 0;
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = R(R(next * d1) / R((i + 1) * oneFraction));
        total = R(total + tmp);
        next = R(pw[p + i] - R(R(tmp * zeroFraction) * R((depth - i) / d1)));
      } else if (zeroFraction !== 0) {
        total = R(total + R(R(pw[p + i] / zeroFraction) / R((depth - i) / d1)));
      }
    }
    return total;
  }

  /** The recursion at `node`; `parent` is where the parent's path starts, `depth` the new path length − 1. */
  visit(node: number, depth: number, parent: number, feature: number): void {
    // The incoming fractions travel in fields, not arguments: a double argument of a call that is not
    // inlined (this recursion) would be boxed on every node.
    const zeroFraction = this.zf;
    const oneFraction = this.of;
    const t = this.tree;
    const R = this.R;
    const p = parent + depth + 1;
    for (let i = 0; i <= depth; i++) {
      this.feat[p + i] = this.feat[parent + i];
      this.zero[p + i] = this.zero[parent + i];
      this.one[p + i] = this.one[parent + i];
      this.pw[p + i] = this.pw[parent + i];
    }
    this.extend(p, depth, zeroFraction, oneFraction, feature);
    const left = t.left[node];
    if (left === -1) {
      const width = t.width;
      const vBase = node * width;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(p, depth, i);
        const scale = R(w * R(this.one[p + i] - this.zero[p + i]));
        const o = this.phiBase + this.feat[p + i] * this.stride;
        for (let k = 0; k < width; k++) this.phi[o + k] = R(this.phi[o + k] + R(scale * t.values[vBase + k]));
      }
      return;
    }
    const right = t.right[node];
    const split = t.feature[node];
    const hot = t.goesLeft(node, this.x, this.at) ? left : right;
    const cold = hot === left ? right : left;
    const w = t.cover[node];
    const hotZero = R(t.cover[hot] / w);
    const coldZero = R(t.cover[cold] / w);
    let inZero = 1;
    let inOne = 1;
    let index = 0;
    for (; index <= depth; index++) if (this.feat[p + index] === split) break;
    let d = depth;
    if (index !== depth + 1) {
      inZero = this.zero[p + index];
      inOne = this.one[p + index];
      this.unwind(p, d, index);
      d -= 1;
    }
    this.zf = R(hotZero * inZero);
    this.of = inOne;
    this.visit(hot, d + 1, p, split);
    this.zf = R(coldZero * inZero);
    this.of = 0;
    this.visit(cold, d + 1, p, split);
  }
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
  const walker = new Walker(maxDepth, e.precision);
  const f32 = e.precision === "float32";
  const R = walker.R;
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
