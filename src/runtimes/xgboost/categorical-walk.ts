/**
 * @module The eight-row walk for XGBoost trees that split on categorical features: the lock-step layout
 * of the other trees, plus, at a categorical node, one bit per category code saying whether that code
 * goes right. Missing values take each node's default direction. A walk of its own (with a test per
 * step) so that the walks of the numeric trees keep their branch-free step.
 */

import { FIXED_STEPS_MAX, type LockstepTree } from "../common/lockstep-walk.ts";

/** The categories that go right at each categorical node, as bits. */
export interface CategoryBits {
  /** Per node: the first bit of its categories in {@link bits}, or -1 at a numeric node. */
  readonly start: Int32Array;
  /** Per node: how many category codes its bits cover (the largest code that goes right, plus one). */
  readonly span: Int32Array;
  /** 1 where a category code goes right. */
  readonly bits: Uint8Array;
}

/** The most category codes one node's bits may cover; a tree beyond it keeps the row walk. */
export const MAX_CATEGORY_SPAN = 1 << 16;

/**
 * Bits for the categorical nodes of the trees whose `hasCategorical` flag is set, or undefined when a
 * set holds something other than category codes (non-negative integers below {@link MAX_CATEGORY_SPAN}):
 * those trees then keep the row walk and its set lookups.
 */
export function categoryBits(
  catIndex: Int32Array,
  catSets: readonly (readonly number[])[],
): CategoryBits | undefined {
  const n = catIndex.length;
  const start = new Int32Array(n).fill(-1);
  const span = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const k = catIndex[i];
    if (k < 0) continue;
    let top = -1;
    for (const c of catSets[k]) {
      if (!Number.isInteger(c) || c < 0 || c >= MAX_CATEGORY_SPAN) return undefined;
      if (c > top) top = c;
    }
    start[i] = total;
    span[i] = top + 1;
    total += top + 1;
  }
  const bits = new Uint8Array(total);
  for (let i = 0; i < n; i++) if (start[i] >= 0) for (const c of catSets[catIndex[i]]) bits[start[i] + c] = 1;
  return { start, span, bits };
}

/**
 * The leaves rows `from`..`to` of `x` (row-major, `cols` per row, float32 values) reach in the tree at
 * `root`: a NaN goes where its node sends missing values; at a categorical node a value goes right when
 * its category code (the value truncated, as XGBoost reads it) is among the node's, else left; at a
 * numeric node as {@link walkLockstep}.
 */
export function walkCategorical(
  t: LockstepTree,
  cats: CategoryBits,
  root: number,
  x: Float32Array,
  from: number,
  to: number,
  cols: number,
  leaves: Int32Array,
): void {
  const { kids, feature: feat, threshold: th, nanRight: nr, isLeaf } = t;
  const { start, span, bits } = cats;
  const dir = (i: number, v: number): number => {
    if (Number.isNaN(v)) return nr[i];
    const s = start[i];
    if (s < 0) return +!(v <= th[i]);
    const c = Math.trunc(v);
    return c >= 0 && c < span[i] ? bits[s + c] : 0;
  };
  // A tree of known, small height walks that many steps without testing whether all eight rows have
  // arrived (a leaf steps onto itself), as the numeric trees' fixed-step walk does.
  const h = t.height[root];
  const steps = h <= FIXED_STEPS_MAX ? h : -1;
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
    for (
      let s = 0;
      steps >= 0
        ? s < steps
        : (isLeaf[i0] &
            isLeaf[i1] &
            isLeaf[i2] &
            isLeaf[i3] &
            isLeaf[i4] &
            isLeaf[i5] &
            isLeaf[i6] &
            isLeaf[i7]) ===
          0;
      s++
    ) {
      i0 = kids[(i0 << 1) + dir(i0, x[a0 + feat[i0]])];
      i1 = kids[(i1 << 1) + dir(i1, x[a1 + feat[i1]])];
      i2 = kids[(i2 << 1) + dir(i2, x[a2 + feat[i2]])];
      i3 = kids[(i3 << 1) + dir(i3, x[a3 + feat[i3]])];
      i4 = kids[(i4 << 1) + dir(i4, x[a4 + feat[i4]])];
      i5 = kids[(i5 << 1) + dir(i5, x[a5 + feat[i5]])];
      i6 = kids[(i6 << 1) + dir(i6, x[a6 + feat[i6]])];
      i7 = kids[(i7 << 1) + dir(i7, x[a7 + feat[i7]])];
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
    while (isLeaf[i] === 0) i = kids[(i << 1) + dir(i, x[at + feat[i]])];
    leaves[r] = i;
  }
}
