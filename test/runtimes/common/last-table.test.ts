import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lastTable } from "../../../src/runtimes/common/last-table.ts";
import type { FeatureTable } from "../../../src/runtimes/runtime.ts";

const table = (rows: number): FeatureTable => ({
  rows,
  columns: ["x"],
  numeric: new Float64Array(rows),
  strings: [],
  tensors: [],
});

describe("lastTable", () => {
  it("computes once for labels then probabilities of one table, and again for any other table", () => {
    let calls = 0;
    const f = lastTable((t: FeatureTable) => {
      calls++;
      return t.rows * 10;
    });
    const a = table(1);
    const b = table(2);
    assert.equal(f(a), 10);
    assert.equal(f(a), 10);
    assert.equal(calls, 1);
    assert.equal(f(b), 20);
    assert.equal(calls, 2);
    // A third read of the same table recomputes: the second read released it.
    assert.equal(f(b), 20);
    assert.equal(f(b), 20);
    assert.equal(calls, 3);
    // Interleaved requests never see each other's values.
    assert.equal(f(a), 10);
    assert.equal(f(b), 20);
    assert.equal(f(a), 10);
    assert.equal(calls, 6);
  });
});
