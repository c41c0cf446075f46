/**
 * @module A tree's batch walk that adds each row's leaf values as it goes: eight rows at a time through
 * the tree in the lock-step walk's fixed steps (`lockstep-walk.ts`), then the eight leaves' values added
 * to their rows' sums, instead of the leaves written to an array for a second loop to read; trees of at
 * most {@link FIXED_STEPS_MAX} levels. The same additions in the same order as the two loops, so answers
 * are bit for bit as before. Two functions, each with its accumulation unrolled: one float32 value per
 * leaf into one column of float32 sums (XGBoost's margins, a column per group), and two or three
 * float64 values (a forest classifier's class probabilities). One function choosing by the count of values was 2–7 %
 * slower on forests (eight lanes leave few registers for its extra loop values). Each function sees one
 * element type only: a walk that saw float32 and float64 arrays (here, GradientBoosting's float64 sums
 * beside XGBoost's float32) ran 10–18 % slower for both in a process serving both kinds (measured), so
 * scikit-learn's GradientBoosting and forest regressors keep the walk then the addition loop.
 *
 * Measured per row against the two loops (paired rounds, 2026-12-06): `predict_proba` of the iris
 * RandomForest-100 0.81–0.84× at 32 and 64 rows, 0.87× at 1000; the breast-cancer RandomForest-300
 * 0.84–0.90×; a 200-tree depth-6 XGBoost classifier (20 features) 0.94× at 32 rows, 0.88× at 1000.
 */

import { FIXED_STEPS_MAX, type LockstepTree } from "./lockstep-walk.ts";

/** Whether {@link walkAdd} takes the tree rooted at `root`. */
export function walksAdding(t: LockstepTree, root: number): boolean {
  return t.height[root] <= FIXED_STEPS_MAX;
}

/** Whether {@link walkAddClasses} takes this tree (rooted at 0) for `k` classes. */
export function walksAddingClasses(t: LockstepTree, k: number): boolean {
  return (k === 2 || k === 3) && t.height[0] <= FIXED_STEPS_MAX;
}

/**
 * For each of rows `[from, to)` of the row-major float32 matrix `x`, adds `values[leaf]` of the leaf it
 * reaches from `root` to `acc[r * stride + col]`, rounding each sum to float32 (XGBoost's float sums). NaN goes right, as in
 * `walkLockstep`: a tree that sends missing values left needs the NaN walk for a batch with a NaN. The
 * tree must pass {@link walksAdding}.
 */
export function walkAdd(
  t: LockstepTree,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  values: Float32Array,
  acc: Float32Array,
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
 * For each of the first `rows` rows of the row-major float32 matrix `x`, adds the probabilities `p`
 * holds for the leaf it reaches (`k` per node) to `out[r * k + c]`. NaN goes right, as in
 * `walkLockstep`: a tree that sends missing values left needs the NaN walk for a batch with a NaN.
 * The tree must pass {@link walksAddingClasses}.
 */
export function walkAddClasses(
  t: LockstepTree,
  p: Float64Array,
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float64Array,
  k: number,
): void {
  const { kids, feature: feat, threshold: th } = t;
  const steps = t.height[0];
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    const a0 = r * cols;
    const a1 = a0 + cols;
    const a2 = a1 + cols;
    const a3 = a2 + cols;
    const a4 = a3 + cols;
    const a5 = a4 + cols;
    const a6 = a5 + cols;
    const a7 = a6 + cols;
    let i0 = 0;
    let i1 = 0;
    let i2 = 0;
    let i3 = 0;
    let i4 = 0;
    let i5 = 0;
    let i6 = 0;
    let i7 = 0;
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
    if (k === 2) {
      const o = r * 2;
      out[o] += p[i0 * 2];
      out[o + 1] += p[i0 * 2 + 1];
      out[o + 2] += p[i1 * 2];
      out[o + 3] += p[i1 * 2 + 1];
      out[o + 4] += p[i2 * 2];
      out[o + 5] += p[i2 * 2 + 1];
      out[o + 6] += p[i3 * 2];
      out[o + 7] += p[i3 * 2 + 1];
      out[o + 8] += p[i4 * 2];
      out[o + 9] += p[i4 * 2 + 1];
      out[o + 10] += p[i5 * 2];
      out[o + 11] += p[i5 * 2 + 1];
      out[o + 12] += p[i6 * 2];
      out[o + 13] += p[i6 * 2 + 1];
      out[o + 14] += p[i7 * 2];
      out[o + 15] += p[i7 * 2 + 1];
    } else {
      const o = r * 3;
      out[o] += p[i0 * 3];
      out[o + 1] += p[i0 * 3 + 1];
      out[o + 2] += p[i0 * 3 + 2];
      out[o + 3] += p[i1 * 3];
      out[o + 4] += p[i1 * 3 + 1];
      out[o + 5] += p[i1 * 3 + 2];
      out[o + 6] += p[i2 * 3];
      out[o + 7] += p[i2 * 3 + 1];
      out[o + 8] += p[i2 * 3 + 2];
      out[o + 9] += p[i3 * 3];
      out[o + 10] += p[i3 * 3 + 1];
      out[o + 11] += p[i3 * 3 + 2];
      out[o + 12] += p[i4 * 3];
      out[o + 13] += p[i4 * 3 + 1];
      out[o + 14] += p[i4 * 3 + 2];
      out[o + 15] += p[i5 * 3];
      out[o + 16] += p[i5 * 3 + 1];
      out[o + 17] += p[i5 * 3 + 2];
      out[o + 18] += p[i6 * 3];
      out[o + 19] += p[i6 * 3 + 1];
      out[o + 20] += p[i6 * 3 + 2];
      out[o + 21] += p[i7 * 3];
      out[o + 22] += p[i7 * 3 + 1];
      out[o + 23] += p[i7 * 3 + 2];
    }
  }
  // The last rows % 8 rows, one at a time.
  for (; r < rows; r++) {
    const a = r * cols;
    let i = 0;
    for (let s = 0; s < steps; s++) i = kids[(i << 1) + +!(x[a + feat[i]] <= th[i])];
    for (let c = 0; c < k; c++) out[r * k + c] += p[i * k + c];
  }
}
