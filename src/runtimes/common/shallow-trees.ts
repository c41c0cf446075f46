/**
 * @module The leaves of a batch's shallow trees (at most {@link SHALLOW_MAX} levels) added to a boosted
 * model's sums row by row in one pass. Boosting on an easy problem leaves many late trees a single leaf or
 * one split (the bench's iris XGBoost classifier: 80 of its 300 trees a leaf, 70 a stump, 100 two
 * levels), and scikit-learn's GradientBoosting grows trees of three levels by default; the eight-row walk
 * (`lockstep-walk.ts`) paid its set-up for each eight rows for a few steps or none, and wrote the leaves
 * for another loop to read. Rows are independent here, so the processor overlaps them without the walk's
 * eight lanes. One small function per depth: one loop handling every depth was slower than the eight-row
 * walk it replaced (measured: a fixed-step inner loop, 0.79× against 0.69× for unrolled steps, per row of
 * a 1000-row XGBoost batch); four levels are faster in the eight-row walk.
 */

import type { LockstepTree } from "./lockstep-walk.ts";

/**
 * Per-node sums: XGBoost's float32 (each store rounds, as its float sums do) or float64. A server
 * running both kinds sees both at these functions' element reads (two shapes, still fast).
 */
export type Sums = Float32Array | Float64Array;

/** The deepest tree {@link addShallowTree} takes. */
export const SHALLOW_MAX = 3;

/**
 * Adds, for each of rows `[from, to)` of the row-major float32 matrix `x`, `value[leaf]` of the leaf it
 * reaches from `root` to `acc[r * groups + g]` (a float32 `acc` rounds each sum to float32). The tree's
 * height must be at most {@link SHALLOW_MAX}. A NaN goes right, as in `walkLockstep`: where a node sends
 * missing values left, the caller takes `walkLockstepNaN` for a batch with a NaN.
 */
export function addShallowTree(
  t: LockstepTree,
  value: Sums,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Sums,
  groups: number,
  g: number,
): void {
  switch (t.height[root]) {
    case 0:
      addLeaf(value[root], from, to, acc, groups, g);
      return;
    case 1:
      addStump(t, value, root, x, from, to, cols, acc, groups, g);
      return;
    case 2:
      addDepth2(t, value, root, x, from, to, cols, acc, groups, g);
      return;
    default:
      addDepth3(t, value, root, x, from, to, cols, acc, groups, g);
  }
}

function addLeaf(c: number, from: number, to: number, acc: Sums, groups: number, g: number): void {
  for (let o = from * groups + g; o < to * groups; o += groups) acc[o] += c;
}

function addStump(
  t: LockstepTree,
  value: Sums,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Sums,
  groups: number,
  g: number,
): void {
  const { kids } = t;
  const th = t.threshold[root];
  const k = root << 1;
  for (let a = from * cols + t.feature[root], o = from * groups + g, r = from; r < to; r++) {
    acc[o] += value[kids[k + +!(x[a] <= th)]];
    a += cols;
    o += groups;
  }
}

function addDepth2(
  t: LockstepTree,
  value: Sums,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Sums,
  groups: number,
  g: number,
): void {
  const { kids, feature: feat, threshold: th } = t;
  for (let a = from * cols, o = from * groups + g, r = from; r < to; r++) {
    let i = kids[(root << 1) + +!(x[a + feat[root]] <= th[root])];
    i = kids[(i << 1) + +!(x[a + feat[i]] <= th[i])];
    acc[o] += value[i];
    a += cols;
    o += groups;
  }
}

function addDepth3(
  t: LockstepTree,
  value: Sums,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Sums,
  groups: number,
  g: number,
): void {
  const { kids, feature: feat, threshold: th } = t;
  for (let a = from * cols, o = from * groups + g, r = from; r < to; r++) {
    let i = kids[(root << 1) + +!(x[a + feat[root]] <= th[root])];
    i = kids[(i << 1) + +!(x[a + feat[i]] <= th[i])];
    i = kids[(i << 1) + +!(x[a + feat[i]] <= th[i])];
    acc[o] += value[i];
    a += cols;
    o += groups;
  }
}
