/**
 * @module The walk that adds leaf values as it goes gives, bit for bit, the sums of the lock-step walk
 * followed by the addition of each row's leaf values: random trees up to the fixed walk's depth, one
 * value per leaf into one column of several (XGBoost's groups, float32 sums) and two or three (a forest's
 * class probabilities, float64), row ranges that start and end anywhere (one value) or any row count
 * (classes), values on the thresholds, and NaN (which goes right in both).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  walkAdd,
  walkAddClasses,
  walksAdding,
  walksAddingClasses,
} from "../../../src/runtimes/common/add-walk.ts";
import { FIXED_STEPS_MAX, lockstepTree, walkLockstep } from "../../../src/runtimes/common/lockstep-walk.ts";
import { seeded } from "../../helpers.ts";

/** A random tree of at most `maxDepth` levels, children after their parent, rooted at node `at`. */
function randomTree(rnd: () => number, maxDepth: number, cols: number, grid: readonly number[], at: number) {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  // Nodes of another tree before this one, as in a booster's arrays.
  for (let n = 0; n < at; n++) {
    left.push(-1);
    right.push(-1);
    feature.push(0);
    threshold.push(-2);
  }
  const grow = (depth: number): number => {
    const n = left.length;
    left.push(-1);
    right.push(-1);
    feature.push(0);
    threshold.push(-2);
    if (depth < maxDepth && (depth === 0 || rnd() < 0.7)) {
      feature[n] = Math.floor(rnd() * cols);
      threshold[n] = grid[Math.floor(rnd() * grid.length)];
      left[n] = grow(depth + 1);
      right[n] = grow(depth + 1);
    }
    return n;
  };
  grow(0);
  return lockstepTree(
    Int32Array.from(left),
    Int32Array.from(right),
    Int32Array.from(feature),
    Float64Array.from(threshold),
  );
}

describe("the walk that adds leaf values", () => {
  it("adds what the walk's leaves give, bit for bit, for one, two and three values per leaf", () => {
    const rnd = seeded(5150);
    const cols = 4;
    const grid = [-1, -0.5, 0, 0.25, 1, 2].map(Math.fround);
    for (let trial = 0; trial < 450; trial++) {
      const k = 1 + (trial % 3);
      // One value per leaf: XGBoost's float32 margins, a column of `groups`, from any root and row range;
      // two or three: a forest's float64 class sums, every row, the tree at 0.
      const one = k === 1;
      const maxDepth = 1 + Math.floor(rnd() * FIXED_STEPS_MAX);
      const root = one ? Math.floor(rnd() * 3) : 0;
      const tree = randomTree(rnd, maxDepth, cols, grid, root);
      assert.ok(one ? walksAdding(tree, root) : walksAddingClasses(tree, k));
      const stride = one ? 1 + Math.floor(rnd() * 3) : k;
      const col = one ? Math.floor(rnd() * stride) : 0;
      const nodes = tree.kids.length / 2;
      const rows = 1 + Math.floor(rnd() * 45);
      const x = Float32Array.from({ length: rows * cols }, () => {
        const u = rnd();
        return u < 0.05 ? Number.NaN : u < 0.5 ? grid[Math.floor(rnd() * grid.length)] : (rnd() - 0.5) * 5;
      });
      const from = one ? Math.floor(rnd() * rows) : 0;
      const to = one ? from + Math.floor(rnd() * (rows - from + 1)) : rows;
      const leaves = new Int32Array(rows);
      walkLockstep(tree, root, x, from, to, cols, leaves);
      const what = `trial ${trial}: k ${k}, depth ${maxDepth}, rows [${from}, ${to}) of ${rows}`;

      if (one) {
        const values = Float32Array.from({ length: nodes }, () => rnd() - 0.3);
        const start = Float32Array.from({ length: rows * stride }, () => rnd());
        const want = start.slice();
        for (let r = from; r < to; r++) want[r * stride + col] += values[leaves[r]];
        const got = start.slice();
        walkAdd(tree, root, x, from, to, cols, values, got, stride, col);
        assert.deepEqual(got, want, what);
      } else {
        const values = Float64Array.from({ length: nodes * k }, () => rnd() - 0.3);
        const start = Float64Array.from({ length: rows * k }, () => rnd());
        const want = start.slice();
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < k; c++) want[r * k + c] += values[leaves[r] * k + c];
        const got = start.slice();
        walkAddClasses(tree, values, x, rows, cols, got, k);
        assert.deepEqual(got, want, what);
      }
    }
  });

  it("takes two or three classes, and trees the fixed walk takes", () => {
    const tree = randomTree(seeded(1), 2, 1, [0], 0);
    const deep = { ...tree, height: tree.height.map(() => FIXED_STEPS_MAX + 1) };
    assert.equal(walksAdding(tree, 0), true);
    assert.equal(walksAdding(deep, 0), false);
    assert.equal(walksAddingClasses(tree, 2), true);
    assert.equal(walksAddingClasses(tree, 3), true);
    assert.equal(walksAddingClasses(tree, 4), false);
    assert.equal(walksAddingClasses(deep, 2), false);
  });
});
