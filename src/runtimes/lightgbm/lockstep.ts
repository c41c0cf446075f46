/**
 * @module LightGBM batches walked eight rows at a time through the trees whose splits are all numeric:
 * the direction taken at a node is an index, not a branch (a tree walk's branch mispredicts about half
 * the time), and a missing value's direction is precomputed per node. Trees with a categorical split,
 * a zero-as-missing split or linear leaves keep the row-by-row walk. Same leaves as that walk, so the
 * sums (in tree order per row) are bit for bit the same.
 */

import { UNKNOWN_HEIGHT } from "../common/lockstep-walk.ts";

/** The lockstep layout of a model's eligible trees. */
export interface LightgbmLockstep {
  /** Per tree: its root in the arrays below, or -1 when it keeps the row-by-row walk. */
  readonly root: Int32Array;
  /** Children side by side (`2n` left, `2n+1` right); a leaf points to itself on both sides. */
  readonly kids: Int32Array;
  /** Split feature; 0 at leaves. */
  readonly feature: Int32Array;
  /** A present value goes left when `x <= threshold`. */
  readonly threshold: Float64Array;
  /** Where a missing (NaN) value goes: 1 right, 0 left (the default direction, or NaN read as 0). */
  readonly nanRight: Uint8Array;
  readonly isLeaf: Uint8Array;
  /** The tree's own leaf index, at leaves. */
  readonly leaf: Int32Array;
}

/** One tree as the layout reads it (LightGBM's arrays: children `< 0` are `~leaf`). */
export interface LockstepSource {
  readonly numLeaves: number;
  readonly linear: boolean;
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly decision: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
}

const CATEGORICAL = 1;
const DEFAULT_LEFT = 2;

/** Whether a tree can be walked in lock step: numeric splits whose missing type is none or NaN. */
function eligible(t: LockstepSource): boolean {
  if (t.linear || t.numLeaves < 2) return false;
  for (let k = 0; k < t.numLeaves - 1; k++) {
    const dt = t.decision[k];
    if (dt & CATEGORICAL || ((dt >> 2) & 3) === 1) return false;
  }
  return true;
}

/** Lays out the eligible trees (internal nodes first, then leaves, per tree). */
export function lockstepLayout(trees: readonly LockstepSource[]): LightgbmLockstep {
  let total = 0;
  const ok = trees.map((t) => {
    const e = eligible(t);
    if (e) total += 2 * t.numLeaves - 1;
    return e;
  });
  const root = new Int32Array(trees.length).fill(-1);
  const kids = new Int32Array(2 * total);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const nanRight = new Uint8Array(total);
  const isLeaf = new Uint8Array(total);
  const leaf = new Int32Array(total);
  let base = 0;
  trees.forEach((t, ti) => {
    if (!ok[ti]) return;
    root[ti] = base;
    const inner = t.numLeaves - 1;
    const node = (c: number) => (c >= 0 ? base + c : base + inner + ~c);
    for (let k = 0; k < inner; k++) {
      const g = base + k;
      const dt = t.decision[k];
      kids[2 * g] = node(t.left[k]);
      kids[2 * g + 1] = node(t.right[k]);
      feature[g] = t.feature[k];
      threshold[g] = t.threshold[k];
      // Missing type NaN: the default direction; none (or an unknown type): the value read as 0.
      nanRight[g] = ((dt >> 2) & 3) === 2 ? (dt & DEFAULT_LEFT ? 0 : 1) : 0 <= t.threshold[k] ? 0 : 1;
    }
    for (let l = 0; l < t.numLeaves; l++) {
      const g = base + inner + l;
      kids[2 * g] = g;
      kids[2 * g + 1] = g;
      isLeaf[g] = 1;
      leaf[g] = l;
    }
    base += 2 * t.numLeaves - 1;
  });
  return { root, kids, feature, threshold, nanRight, isLeaf, leaf };
}

/**
 * Each tree's depth in the layout (steps from its root to its deepest leaf), for the single-row walk;
 * `UNKNOWN_HEIGHT` (255) for trees outside the layout or deeper than 254.
 */
export function lockstepDepths(s: LightgbmLockstep): Uint8Array {
  const depth = new Uint8Array(s.root.length).fill(UNKNOWN_HEIGHT);
  const stack: number[] = [];
  for (let t = 0; t < s.root.length; t++) {
    if (s.root[t] < 0) continue;
    // Depth first from the root (each node is reached once: the layout is a tree).
    let deepest = 0;
    stack.push(s.root[t], 0);
    while (stack.length > 0) {
      const d = stack.pop()!;
      const n = stack.pop()!;
      if (s.isLeaf[n]) deepest = Math.max(deepest, d);
      else stack.push(s.kids[2 * n], d + 1, s.kids[2 * n + 1], d + 1);
    }
    if (deepest < UNKNOWN_HEIGHT) depth[t] = deepest;
  }
  return depth;
}

/** The step from node `n` for value `v`: left when `v <= threshold`, a NaN where `nanRight` says. */
const step = (s: LightgbmLockstep, n: number, v: number): number => {
  const right = +!(v <= s.threshold[n]);
  // Without a branch: the NaN's precomputed direction when `v` is NaN, else the comparison's.
  return s.kids[2 * n + (right ^ (+Number.isNaN(v) & (right ^ s.nanRight[n])))];
};

/**
 * The tree-local leaf each of rows `[from, to)` (row-major doubles) reaches in eligible tree `t`, into
 * `leaves[r]`. The same eight-row shape as `walkLockstepNaN` in `common/lockstep-walk.ts`, kept apart
 * on purpose: LightGBM compares doubles, and that walk taking `Float32Array | Float64Array` rows made
 * both its float32 callers and this one about 1.4–1.6× slower in a process serving both (measured:
 * XGBoost with NaN 1.30 → 0.94 M rows/s, LightGBM 0.32 → 0.20 M).
 */
export function walkRows(
  s: LightgbmLockstep,
  t: number,
  x: Float64Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { isLeaf, feature: f, leaf } = s;
  const root = s.root[t];
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
      i0 = step(s, i0, x[a0 + f[i0]]);
      i1 = step(s, i1, x[a1 + f[i1]]);
      i2 = step(s, i2, x[a2 + f[i2]]);
      i3 = step(s, i3, x[a3 + f[i3]]);
      i4 = step(s, i4, x[a4 + f[i4]]);
      i5 = step(s, i5, x[a5 + f[i5]]);
      i6 = step(s, i6, x[a6 + f[i6]]);
      i7 = step(s, i7, x[a7 + f[i7]]);
    }
    leaves[r] = leaf[i0];
    leaves[r + 1] = leaf[i1];
    leaves[r + 2] = leaf[i2];
    leaves[r + 3] = leaf[i3];
    leaves[r + 4] = leaf[i4];
    leaves[r + 5] = leaf[i5];
    leaves[r + 6] = leaf[i6];
    leaves[r + 7] = leaf[i7];
  }
  for (let at = r * cols; r < to; r++, at += cols) {
    let i = root;
    while (isLeaf[i] === 0) i = step(s, i, x[at + f[i]]);
    leaves[r] = leaf[i];
  }
}
