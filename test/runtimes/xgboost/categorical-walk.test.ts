/**
 * @module The eight-row walk of XGBoost trees with categorical splits reaches, for every row, the leaf
 * XGBoost's rule gives (a NaN by its node's default direction, a category code by set membership of the
 * truncated value, a number by `x < cond`), on random trees and rows with codes out of range, negative,
 * fractional and missing; sets that are not category codes are refused (the row walk keeps them).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { float32Below, lockstepTree } from "../../../src/runtimes/common/lockstep-walk.ts";
import { categoryBits, walkCategorical } from "../../../src/runtimes/xgboost/categorical-walk.ts";
import { seeded } from "../../helpers.ts";

const F32 = new Float32Array(1);
const f32 = (v: number) => {
  F32[0] = v;
  return F32[0];
};

describe("the categorical eight-row walk", () => {
  it("reaches XGBoost's leaf for every row of 300 random trees", () => {
    const rnd = seeded(606);
    const cols = 4;
    for (let trial = 0; trial < 300; trial++) {
      // A random tree, children after their parent; features 0 and 1 categorical.
      const left: number[] = [];
      const right: number[] = [];
      const feature: number[] = [];
      const cond: number[] = [];
      const defaultLeft: number[] = [];
      const catIndex: number[] = [];
      const catSets: number[][] = [];
      const grow = (depth: number): number => {
        const i = left.length;
        left.push(-1);
        right.push(-1);
        feature.push(0);
        cond.push(0);
        defaultLeft.push(0);
        catIndex.push(-1);
        if (depth === 0 || rnd() < 0.2) return i;
        const f = Math.floor(rnd() * cols);
        feature[i] = f;
        defaultLeft[i] = rnd() < 0.5 ? 1 : 0;
        if (f < 2) {
          catIndex[i] = catSets.length;
          catSets.push([
            ...new Set(Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => Math.floor(rnd() * 10))),
          ]);
        } else cond[i] = f32(rnd() * 2 - 1);
        left[i] = grow(depth - 1);
        right[i] = grow(depth - 1);
        return i;
      };
      grow(1 + Math.floor(rnd() * 7));
      const n = left.length;
      const layout = lockstepTree(
        Int32Array.from(left),
        Int32Array.from(right),
        Int32Array.from(feature),
        Float64Array.from(cond, (c, k) => (left[k] === -1 || catIndex[k] >= 0 ? 0 : float32Below(c))),
        defaultLeft,
      );
      const bits = categoryBits(Int32Array.from(catIndex), catSets);
      assert.ok(bits);
      const rows = 8 * 5 + Math.floor(rnd() * 8);
      const x = new Float32Array(rows * cols);
      for (let k = 0; k < x.length; k++) {
        const u = rnd();
        x[k] =
          u < 0.1
            ? Number.NaN
            : k % cols < 2
              ? [-3, -0.5, 0.25, 3.75, 12, 1e9][Math.floor(rnd() * 6)] * (u < 0.3 ? 1 : 0) +
                Math.floor(rnd() * 10)
              : rnd() * 2 - 1;
      }
      const leaves = new Int32Array(rows);
      walkCategorical(layout, bits, 0, x, 0, rows, cols, leaves);
      for (let r = 0; r < rows; r++) {
        let i = 0;
        while (left[i] !== -1) {
          const v = x[r * cols + feature[i]];
          if (Number.isNaN(v)) i = defaultLeft[i] ? left[i] : right[i];
          else if (catIndex[i] >= 0) i = catSets[catIndex[i]].includes(Math.trunc(v)) ? right[i] : left[i];
          else i = v < cond[i] ? left[i] : right[i];
        }
        assert.equal(leaves[r], i, `trial ${trial} (${n} nodes) row ${r}`);
      }
    }
  });

  it("refuses sets that are not category codes", () => {
    const catIndex = Int32Array.of(0, -1, -1);
    assert.equal(categoryBits(catIndex, [[1, 2.5]]), undefined);
    assert.equal(categoryBits(catIndex, [[-1]]), undefined);
    assert.equal(categoryBits(catIndex, [[2 ** 20]]), undefined);
    assert.deepEqual(Array.from(categoryBits(catIndex, [[0, 3]])!.bits), [1, 0, 0, 1]);
  });
});
