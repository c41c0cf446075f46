/**
 * @module HistGradientBoosting's batch walks over its float64 rows: eight rows at a time through each
 * numeric tree of the packed layout (`hgb-rows.ts`), {@link walkAddHgb} adding the leaves' values as the
 * walk ends (trees of at most {@link FIXED_STEPS_MAX} levels, in that many steps), {@link walkLeavesHgb}
 * for deeper trees (until all eight rows reach a leaf). The same shapes as `common/add-walk.ts` and
 * `walkLockstep`, kept apart on purpose: those read float32 rows, and one walk reading both element
 * types runs 1.4–1.6× slower for every caller in a process that serves both kinds of model (measured
 * with LightGBM's walk, `lightgbm/lockstep.ts`).
 */

import { FIXED_STEPS_MAX, type LockstepTree } from "../../../common/lockstep-walk.ts";

/**
 * For each of rows `[from, to)` of the row-major float64 matrix `x`, adds `values[leaf]` of the leaf it
 * reaches from `root` to `acc[r * stride + col]`. NaN goes right: batches with a NaN take the row walk.
 * The tree must be at most {@link FIXED_STEPS_MAX} levels deep.
 */
export function walkAddHgb(
  t: LockstepTree,
  root: number,
  x: Float64Array,
  from: number,
  to: number,
  cols: number,
  values: Float64Array,
  acc: Float64Array,
  stride: number,
  col: number,
): void {
  const { kids, feature: feat, threshold: th } = t;
  const steps = t.height[root];
  let r = from;
  for (; r + 8 <= to; r += 8) {
    const a0 = r * cols;
    const a1 = a0 + cols;
    const a2 = a1 + cols;
    const a3 = a2 + cols;
    const a4 = a3 + cols;
    const a5 = a4 + cols;
    const a6 = a5 + cols;
    const a7 = a6 + cols;
    let i0 = root;
    let i1 = root;
    let i2 = root;
    let i3 = root;
    let i4 = root;
    let i5 = root;
    let i6 = root;
    let i7 = root;
    for (let s = 0; s < steps; s++) {
      i0 = kids[(i0 << 1) + +!(x[a0 + feat[i0]] <= th[i0])];
      i1 = kids[(i1 << 1) + +!(x[a1 + feat[i1]] <= th[i1])];
      i2 = kids[(i2 << 1) + +!(x[a2 + feat[i2]] <= th[i2])];
      i3 = kids[(i3 << 1) + +!(x[a3 + feat[i3]] <= th[i3])];
      i4 = kids[(i4 << 1) + +!(x[a4 + feat[i4]] <= th[i4])];
      i5 = kids[(i5 << 1) + +!(x[a5 + feat[i5]] <= th[i5])];
      i6 = kids[(i6 << 1) + +!(x[a6 + feat[i6]] <= th[i6])];
      i7 = kids[(i7 << 1) + +!(x[a7 + feat[i7]] <= th[i7])];
    }
    const o = r * stride + col;
    acc[o] += values[i0];
    acc[o + stride] += values[i1];
    acc[o + 2 * stride] += values[i2];
    acc[o + 3 * stride] += values[i3];
    acc[o + 4 * stride] += values[i4];
    acc[o + 5 * stride] += values[i5];
    acc[o + 6 * stride] += values[i6];
    acc[o + 7 * stride] += values[i7];
  }
  // The last (to - from) % 8 rows, one at a time.
  for (; r < to; r++) {
    const a = r * cols;
    let i = root;
    for (let s = 0; s < steps; s++) i = kids[(i << 1) + +!(x[a + feat[i]] <= th[i])];
    acc[r * stride + col] += values[i];
  }
}

/**
 * The leaf each of rows `[from, to)` of the row-major float64 matrix `x` reaches from `root`, into
 * `leaves[r]`, for a tree of any depth. NaN goes right: batches with a NaN take the row walk.
 */
export function walkLeavesHgb(
  t: LockstepTree,
  root: number,
  x: Float64Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th, isLeaf } = t;
  let r = from;
  for (; r + 8 <= to; r += 8) {
    const a0 = r * cols;
    const a1 = a0 + cols;
    const a2 = a1 + cols;
    const a3 = a2 + cols;
    const a4 = a3 + cols;
    const a5 = a4 + cols;
    const a6 = a5 + cols;
    const a7 = a6 + cols;
    let i0 = root;
    let i1 = root;
    let i2 = root;
    let i3 = root;
    let i4 = root;
    let i5 = root;
    let i6 = root;
    let i7 = root;
    while (
      (isLeaf[i0] &
        isLeaf[i1] &
        isLeaf[i2] &
        isLeaf[i3] &
        isLeaf[i4] &
        isLeaf[i5] &
        isLeaf[i6] &
        isLeaf[i7]) ===
      0
    ) {
      i0 = kids[(i0 << 1) + +!(x[a0 + feat[i0]] <= th[i0])];
      i1 = kids[(i1 << 1) + +!(x[a1 + feat[i1]] <= th[i1])];
      i2 = kids[(i2 << 1) + +!(x[a2 + feat[i2]] <= th[i2])];
      i3 = kids[(i3 << 1) + +!(x[a3 + feat[i3]] <= th[i3])];
      i4 = kids[(i4 << 1) + +!(x[a4 + feat[i4]] <= th[i4])];
      i5 = kids[(i5 << 1) + +!(x[a5 + feat[i5]] <= th[i5])];
      i6 = kids[(i6 << 1) + +!(x[a6 + feat[i6]] <= th[i6])];
      i7 = kids[(i7 << 1) + +!(x[a7 + feat[i7]] <= th[i7])];
    }
    leaves[r] = i0;
    leaves[r + 1] = i1;
    leaves[r + 2] = i2;
    leaves[r + 3] = i3;
    leaves[r + 4] = i4;
    leaves[r + 5] = i5;
    leaves[r + 6] = i6;
    leaves[r + 7] = i7;
  }
  for (let at = r * cols; r < to; r++, at += cols) {
    let i = root;
    while (isLeaf[i] === 0) i = kids[(i << 1) + +!(x[at + feat[i]] <= th[i])];
    leaves[r] = i;
  }
}
