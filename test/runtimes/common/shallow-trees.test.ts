/**
 * @module XGBoost's shallow trees added row by row in one pass give, bit for bit, the float32 sums of the
 * eight-row walk followed by the addition of each row's leaf: random trees of every depth the pass
 * takes (a leaf alone, a stump, two and three levels, complete or not), random rows with values on the
 * thresholds and just below them, several groups, and row ranges that start and end anywhere.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { float32Below, lockstepTree, walkLockstep } from "../../../src/runtimes/common/lockstep-walk.ts";
import { addShallowTree, SHALLOW_MAX } from "../../../src/runtimes/common/shallow-trees.ts";
import { seeded } from "../../helpers.ts";

/** A random tree of exactly `height` levels (children after their parent), as XGBoost's arrays. */
function randomTree(rnd: () => number, height: number, cols: number, grid: readonly number[]) {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const cond: number[] = [];
  const grow = (depth: number, mustReach: boolean): number => {
    const n = left.length;
    left.push(-1);
    right.push(-1);
    feature.push(0);
    cond.push(Math.fround((rnd() - 0.5) * 8));
    const split = depth < height && (mustReach || rnd() < 0.6);
    if (split) {
      feature[n] = Math.floor(rnd() * cols);
      cond[n] = grid[Math.floor(rnd() * grid.length)];
      const deepLeft = rnd() < 0.5;
      left[n] = grow(depth + 1, mustReach && deepLeft);
      right[n] = grow(depth + 1, mustReach && !deepLeft);
    }
    return n;
  };
  grow(0, true);
  return { left, right, feature, cond };
}

describe("XGBoost's shallow trees added in one pass", () => {
  it("add the eight-row walk's leaves, bit for bit, at every depth up to SHALLOW_MAX", () => {
    const rnd = seeded(4242);
    const cols = 3;
    // Thresholds and values drawn from one small grid, so rows often sit on a threshold or just below it.
    const grid = [-2, -1.5, -0.25, 0, 0.1, 0.5, 1, 3].map(Math.fround);
    let checked = 0;
    for (let trial = 0; trial < 400; trial++) {
      const height = trial % (SHALLOW_MAX + 1);
      const { left, right, feature, cond } = randomTree(rnd, height, cols, grid);
      const tree = lockstepTree(
        Int32Array.from(left),
        Int32Array.from(right),
        Int32Array.from(feature),
        Float64Array.from(cond, (c, n) => (left[n] === -1 ? 0 : float32Below(c))),
      );
      assert.equal(tree.height[0], height);
      const sums = (xs: number[]) => Float32Array.from(xs);
      const value = sums(cond.map((c, n) => (left[n] === -1 ? c * 0.37 : 0)));
      const rows = 1 + Math.floor(rnd() * 60);
      // A third of the values on a threshold, a third just below one (the walk's own bound), the rest anywhere.
      const x = Float32Array.from({ length: rows * cols }, () => {
        const u = rnd();
        const on = grid[Math.floor(rnd() * grid.length)];
        return u < 1 / 3 ? on : u < 2 / 3 ? float32Below(on) : (rnd() - 0.5) * 6;
      });
      const groups = 1 + Math.floor(rnd() * 3);
      const g = Math.floor(rnd() * groups);
      const from = Math.floor(rnd() * rows);
      const to = from + Math.floor(rnd() * (rows - from + 1));
      const start = sums(Array.from({ length: rows * groups }, () => (rnd() - 0.5) * 4));

      const want = start.slice();
      const leaves = new Int32Array(rows);
      walkLockstep(tree, 0, x, from, to, cols, leaves);
      for (let r = from; r < to; r++) want[r * groups + g] += value[leaves[r]];

      const got = start.slice();
      addShallowTree(tree, value, 0, x, from, to, cols, got, groups, g);
      assert.deepEqual(got, want, `trial ${trial}: height ${height}, rows [${from}, ${to}) of ${rows}`);
      checked += to - from;
    }
    assert.ok(checked > 2500, `only ${checked} rows checked`);
  });

  it("leaves rows outside the range and other groups alone", () => {
    const tree = lockstepTree(
      Int32Array.from([1, -1, -1]),
      Int32Array.from([2, -1, -1]),
      Int32Array.from([0, 0, 0]),
      Float64Array.from([float32Below(0.5), 0, 0]),
    );
    const contrib32 = Float32Array.from([0, 1, 2]);
    const x = Float32Array.from([0, 1, 0, 1]);
    const acc = new Float32Array(8);
    addShallowTree(tree, contrib32, 0, x, 1, 3, 1, acc, 2, 1);
    // Row 1 (x = 1) goes right (2), row 2 (x = 0) left (1); rows 0 and 3 and group 0 untouched.
    assert.deepEqual([...acc], [0, 0, 0, 2, 0, 1, 0, 0]);
  });
});
