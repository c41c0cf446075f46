/**
 * @module A forest tree's walk that adds leaf probabilities as it goes gives, bit for bit, the sums of the
 * lock-step walk followed by the addition of each row's leaf probabilities: random trees up to the fixed
 * walk's depth, two and three classes, row counts that are and are not multiples of eight, values on
 * the thresholds, and NaN (which goes right in both).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FIXED_STEPS_MAX, lockstepTree, walkLockstep } from "../../../src/runtimes/common/lockstep-walk.ts";
import { walkAddProba, walksWithProba } from "../../../src/runtimes/sklearn/estimators/trees/proba-walk.ts";
import { seeded } from "../../helpers.ts";

describe("the forest walk that adds leaf probabilities", () => {
  it("adds what the walk's leaves give, bit for bit, for two and three classes", () => {
    const rnd = seeded(5150);
    const cols = 4;
    const grid = [-1, -0.5, 0, 0.25, 1, 2].map(Math.fround);
    for (let trial = 0; trial < 300; trial++) {
      const k = 2 + (trial % 2);
      const maxDepth = 1 + Math.floor(rnd() * FIXED_STEPS_MAX);
      const left: number[] = [];
      const right: number[] = [];
      const feature: number[] = [];
      const threshold: number[] = [];
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
      const tree = lockstepTree(
        Int32Array.from(left),
        Int32Array.from(right),
        Int32Array.from(feature),
        Float64Array.from(threshold),
      );
      assert.ok(walksWithProba(tree, k));
      const p = Float64Array.from({ length: left.length * k }, () => rnd());
      const rows = 1 + Math.floor(rnd() * 45);
      const x = Float32Array.from({ length: rows * cols }, () => {
        const u = rnd();
        return u < 0.05 ? Number.NaN : u < 0.5 ? grid[Math.floor(rnd() * grid.length)] : (rnd() - 0.5) * 5;
      });
      const start = Float64Array.from({ length: rows * k }, () => rnd());

      const want = start.slice();
      const leaves = new Int32Array(rows);
      walkLockstep(tree, 0, x, 0, rows, cols, leaves);
      for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) want[r * k + c] += p[leaves[r] * k + c];

      const got = start.slice();
      walkAddProba(tree, p, x, rows, cols, got, k);
      assert.deepEqual(got, want, `trial ${trial}: ${k} classes, depth ${maxDepth}, ${rows} rows`);
    }
  });

  it("takes two and three classes only, and trees the fixed walk takes", () => {
    const deep = lockstepTree(
      Int32Array.from([1, -1, -1]),
      Int32Array.from([2, -1, -1]),
      Int32Array.from([0, 0, 0]),
      Float64Array.from([0, -2, -2]),
    );
    assert.equal(walksWithProba(deep, 2), true);
    assert.equal(walksWithProba(deep, 4), false);
    assert.equal(walksWithProba({ ...deep, height: Uint8Array.from([FIXED_STEPS_MAX + 1, 0, 0]) }, 3), false);
  });
});
