/**
 * @module The leaves of a batch's shallow trees (at most {@link SHALLOW_MAX} levels) added to XGBoost's
 * float32 margins row by row in one pass. Boosting on an easy problem leaves many late trees a single
 * leaf or one split (the bench's iris classifier: 80 of its 300 trees a leaf, 70 a stump, 100 two
 * levels); the eight-row walk (`lockstep-walk.ts`) paid its set-up for each eight rows for a few steps or
 * none, and wrote the leaves for another loop to read. Rows are independent here, so the processor overlaps them without the walk's
 * eight lanes. One small function per depth: one loop handling every depth was slower than the eight-row
 * walk it replaced (measured: a fixed-step inner loop, 0.79× against 0.69× for unrolled steps, per row of
 * a 1000-row XGBoost batch); four levels are faster in the eight-row walk. Float32 arrays only: the same
 * pass over scikit-learn's GradientBoosting (three levels by default, float64 sums) took 0.87–0.90× of
 * its time, but a function that saw both element types ran 10–18 % slower for both kinds of model in a
 * process serving both (measured); GradientBoosting keeps its walk then its addition loop.
 */

import type { LockstepTree } from "./lockstep-walk.ts";

/** The deepest tree {@link addShallowTree} takes. */
export const SHALLOW_MAX = 3;

/**
 * Adds, for each of rows `[from, to)` of the row-major float32 matrix `x`, `value[leaf]` of the leaf it
 * reaches from `root` to `acc[r * groups + g]`, rounding each sum to float32 (XGBoost's float sums). The
 * tree's height must be at most {@link SHALLOW_MAX}. A NaN goes right, as in `walkLockstep`: where a node sends
 * missing values left, the caller takes `walkLockstepNaN` for a batch with a NaN.
 */
export function addShallowTree(
  t: LockstepTree,
  value: Float32Array,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Float32Array,
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

function addLeaf(c: number, from: number, to: number, acc: Float32Array, groups: number, g: number): void {
  for (let o = from * groups + g; o < to * groups; o += groups) acc[o] += c;
}

function addStump(
  t: LockstepTree,
  value: Float32Array,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Float32Array,
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
  value: Float32Array,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Float32Array,
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
  value: Float32Array,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  acc: Float32Array,
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
