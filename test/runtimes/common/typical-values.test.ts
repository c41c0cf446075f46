/**
 * Typical values: the median split threshold of each numeric input, selected in linear time. The
 * selection must pick exactly what a full numeric sort puts at that index, for any input order and
 * with repeated values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { select, typicalFromThresholds } from "../../../src/runtimes/common/typical-values.ts";
import { seeded } from "../../helpers.ts";

describe("select", () => {
  it("picks what a numeric sort puts at every index, for random, sorted, reversed and repeated values", () => {
    const r = seeded(7);
    let checked = 0;
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(r() * 60);
      const distinct = 1 + Math.floor(r() * 10);
      const base = Array.from({ length: n }, () =>
        round % 3 === 0 ? Math.floor(r() * distinct) - 3 : (r() - 0.5) * 1e3,
      );
      const shapes = [base, [...base].sort((a, b) => a - b), [...base].sort((a, b) => b - a)];
      for (const values of shapes) {
        const sorted = Float64Array.from(values).sort();
        for (let k = 0; k < n; k++) {
          assert.equal(select(Float64Array.from(values), k), sorted[k], `n=${n} k=${k} ${values}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `${checked} selections checked`);
  });
});

describe("typicalFromThresholds", () => {
  it("gives each numeric input its median threshold, rounded to 3 digits (ints rounded), skipping the rest", () => {
    const t = typicalFromThresholds(
      [[3.25, 1, 2, 10, 2.5], [7.4, 7.6], [1], [Number.NaN, Number.POSITIVE_INFINITY]],
      [
        { name: "a", dtype: "float", nullable: false },
        { name: "b", dtype: "int", nullable: false },
        { name: "c", dtype: "category", categories: ["x"], nullable: false },
        { name: "d", dtype: "float", nullable: false },
      ],
    );
    assert.deepEqual(t, { a: 2.5, b: 8 });
  });
});
