/**
 * @module The batch walk shared by the tree runtimes (scikit-learn trees and forests, XGBoost): eight
 * rows through one tree in lock step, the split comparison used as an index instead of a branch. A
 * tree walk's data-dependent branch mispredicts about half the time; eight independent chains without
 * that branch keep the CPU busy (2–2.3× the one-row loop on 100-tree forests).
 */

/** A tree (or several, packed) in the branch-free layout. */
export interface LockstepTree {
  /** Children side by side (`2n` left, `2n+1` right); a leaf points to itself on both sides. */
  readonly kids: Int32Array;
  /** Split feature; 0 at leaves, so a step from a leaf reads a valid column and stays put. */
  readonly feature: Int32Array;
  /** A row goes left when `x <= threshold`. NaN fails the test and goes right ({@link walkLockstep}). */
  readonly threshold: Float64Array;
  /** Where {@link walkLockstepNaN} sends a missing (NaN) value: 1 right, 0 left. */
  readonly nanRight: Uint8Array;
  readonly isLeaf: Uint8Array;
  /**
   * Steps from each node to its deepest leaf (0 at leaves), or {@link UNKNOWN_HEIGHT} when not known
   * (beyond 254, or a layout whose children do not all follow their parent).
   */
  readonly height: Uint8Array;
}

/** The height of a node whose height is not recorded. */
export const UNKNOWN_HEIGHT = 255;

/**
 * Trees at most this deep walk a fixed number of steps (a leaf steps onto itself), without checking
 * whether the rows have all arrived: for shallow trees the check costs more than the spare steps.
 */
export const FIXED_STEPS_MAX = 12;

/** Each node's height, from children that follow their parent; else every height unknown. */
function heights(kids: Int32Array, isLeaf: Uint8Array): Uint8Array {
  const n = isLeaf.length;
  const h = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (isLeaf[i]) continue;
    const l = kids[2 * i];
    const r = kids[2 * i + 1];
    if (l <= i || r <= i || l >= n || r >= n) return h.fill(UNKNOWN_HEIGHT);
    h[i] = Math.min(UNKNOWN_HEIGHT, 1 + Math.max(h[l], h[r]));
  }
  return h;
}

/**
 * Builds the layout from child arrays where `-1` marks a leaf. `threshold` is used as given: a runtime
 * whose rule is `x < t` passes the largest value below each `t` (see {@link float32Below}).
 * `missingLeft` marks with 1 the nodes that send a NaN left (for {@link walkLockstepNaN}).
 */
export function lockstepTree(
  left: Int32Array,
  right: Int32Array,
  feature: Int32Array,
  threshold: Float64Array,
  missingLeft?: ArrayLike<number>,
): LockstepTree {
  const n = left.length;
  const kids = new Int32Array(2 * n);
  const feat = new Int32Array(n);
  const isLeaf = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const leaf = left[i] === -1;
    isLeaf[i] = leaf ? 1 : 0;
    kids[2 * i] = leaf ? i : left[i];
    kids[2 * i + 1] = leaf ? i : right[i];
    feat[i] = leaf ? 0 : feature[i];
  }
  const nanRight = new Uint8Array(n).fill(1);
  if (missingLeft) for (let i = 0; i < n; i++) if (missingLeft[i]) nanRight[i] = 0;
  return { kids, feature: feat, threshold, nanRight, isLeaf, height: heights(kids, isLeaf) };
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/**
 * The largest float32 strictly below a float32 `t`: for float32 inputs `x < t` exactly when
 * `x <= float32Below(t)`, which turns a strict-less-than split into this walker's rule.
 */
export function float32Below(t: number): number {
  if (Number.isNaN(t) || t === Number.NEGATIVE_INFINITY) return t;
  if (t === 0) return -(2 ** -149);
  F32[0] = t;
  I32[0] += t > 0 ? -1 : 1;
  return F32[0];
}

/**
 * The leaf each of rows `[from, to)` of a row-major float32 matrix reaches from `root`, into
 * `leaves[r]`. Rows must hold no NaN when a node would send missing values left (NaN goes right).
 */
export function walkLockstep(
  t: LockstepTree,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th, isLeaf } = t;
  const steps = t.height[root];
  if (steps <= FIXED_STEPS_MAX) {
    walkFixed(t, root, steps, x, from, to, cols, leaves);
    return;
  }
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

/**
 * {@link walkLockstep} for a tree of at most {@link FIXED_STEPS_MAX} levels: `steps` steps for every row.
 * A loop of its own on purpose: one loop choosing its exit test by a flag was 12–15 % slower (measured
 * on XGBoost and forest batches), V8 keeping the choice inside the loop.
 */
function walkFixed(
  t: LockstepTree,
  root: number,
  steps: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th } = t;
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
    for (let s = 0; s < steps; s++) i = kids[(i << 1) + +!(x[at + feat[i]] <= th[i])];
    leaves[r] = i;
  }
}

/** 1 (right) unless `v <= t`; a NaN takes `nanRight`. Without a branch: the value is data, not control. */
const direction = (v: number, t: number, nanRight: number): number => {
  const right = +!(v <= t);
  return right ^ (+Number.isNaN(v) & (right ^ nanRight));
};

/**
 * {@link walkLockstep} for rows that may hold NaN where some node sends it left: each NaN goes where its
 * node's `nanRight` says. A loop of its own: that step in every walk made NaN-free batches 1.4–2× slower
 * (measured), so callers take this one only for batches with a missing value.
 */
export function walkLockstepNaN(
  t: LockstepTree,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th, nanRight: nr, isLeaf } = t;
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
      i0 = kids[(i0 << 1) + direction(x[a0 + feat[i0]], th[i0], nr[i0])];
      i1 = kids[(i1 << 1) + direction(x[a1 + feat[i1]], th[i1], nr[i1])];
      i2 = kids[(i2 << 1) + direction(x[a2 + feat[i2]], th[i2], nr[i2])];
      i3 = kids[(i3 << 1) + direction(x[a3 + feat[i3]], th[i3], nr[i3])];
      i4 = kids[(i4 << 1) + direction(x[a4 + feat[i4]], th[i4], nr[i4])];
      i5 = kids[(i5 << 1) + direction(x[a5 + feat[i5]], th[i5], nr[i5])];
      i6 = kids[(i6 << 1) + direction(x[a6 + feat[i6]], th[i6], nr[i6])];
      i7 = kids[(i7 << 1) + direction(x[a7 + feat[i7]], th[i7], nr[i7])];
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
    while (isLeaf[i] === 0) i = kids[(i << 1) + direction(x[at + feat[i]], th[i], nr[i])];
    leaves[r] = i;
  }
}

/** What {@link walkTreesOfRow} takes its trees in: by depth, and how many of them it walks. */
export interface TreesByDepth {
  /** Tree indices, shallowest first (ties in tree order); depths not recorded come last. */
  readonly order: Int32Array;
  /** The first `walked` of `order` have a recorded depth: the lock-step walk takes them. */
  readonly walked: number;
}

/** Orders trees by `steps` (their depths; {@link UNKNOWN_HEIGHT} for trees the walk must not take). */
export function treesByDepth(steps: Uint8Array): TreesByDepth {
  const order = Int32Array.from(steps.keys()).sort((a, b) => steps[a] - steps[b] || a - b);
  let walked = order.length;
  while (walked > 0 && steps[order[walked - 1]] === UNKNOWN_HEIGHT) walked--;
  return { order, walked };
}

/**
 * One row through many trees (the single-row path of forests and boosters): the trees at positions
 * `[0, count)` of `order`, eight at a time in lock step, each group walking the most steps any of its
 * trees needs (`steps[t]`: tree `t`'s depth, a leaf stepping onto itself). `order` must be sorted by
 * steps, shallowest first ({@link treesByDepth}): each eight then need about the same, and the last
 * of them the most. Writes tree `t`'s leaf to `leaves[t]`. One row's walk mispredicts about half its
 * branches; eight independent chains without that branch keep the CPU busy (100-tree forests on hard
 * data: 2.6–3.6× faster per row). The row must hold no NaN (a NaN goes right).
 */
export function walkTreesOfRow(
  t: Pick<LockstepTree, "kids" | "feature" | "threshold">,
  roots: Int32Array,
  steps: Uint8Array,
  order: Int32Array,
  count: number,
  x: Float64Array,
  at: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th } = t;
  let g = 0;
  for (; g + 8 <= count; g += 8) {
    const t0 = order[g];
    const t1 = order[g + 1];
    const t2 = order[g + 2];
    const t3 = order[g + 3];
    const t4 = order[g + 4];
    const t5 = order[g + 5];
    const t6 = order[g + 6];
    const t7 = order[g + 7];
    const n = steps[t7]; // the deepest of the eight: `order` is sorted by steps
    let i0 = roots[t0];
    let i1 = roots[t1];
    let i2 = roots[t2];
    let i3 = roots[t3];
    let i4 = roots[t4];
    let i5 = roots[t5];
    let i6 = roots[t6];
    let i7 = roots[t7];
    for (let s = 0; s < n; s++) {
      i0 = kids[(i0 << 1) + +!(x[at + feat[i0]] <= th[i0])];
      i1 = kids[(i1 << 1) + +!(x[at + feat[i1]] <= th[i1])];
      i2 = kids[(i2 << 1) + +!(x[at + feat[i2]] <= th[i2])];
      i3 = kids[(i3 << 1) + +!(x[at + feat[i3]] <= th[i3])];
      i4 = kids[(i4 << 1) + +!(x[at + feat[i4]] <= th[i4])];
      i5 = kids[(i5 << 1) + +!(x[at + feat[i5]] <= th[i5])];
      i6 = kids[(i6 << 1) + +!(x[at + feat[i6]] <= th[i6])];
      i7 = kids[(i7 << 1) + +!(x[at + feat[i7]] <= th[i7])];
    }
    leaves[t0] = i0;
    leaves[t1] = i1;
    leaves[t2] = i2;
    leaves[t3] = i3;
    leaves[t4] = i4;
    leaves[t5] = i5;
    leaves[t6] = i6;
    leaves[t7] = i7;
  }
  for (; g < count; g++) {
    const tree = order[g];
    let i = roots[tree];
    for (let s = steps[tree]; s > 0; s--) i = kids[(i << 1) + +!(x[at + feat[i]] <= th[i])];
    leaves[tree] = i;
  }
}
