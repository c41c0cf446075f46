import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canJoin, joinTables, splitResult } from "../../src/inference/tables.ts";
import type { FeatureTable } from "../../src/runtimes/runtime.ts";

/** A table with a number, a string and a 2×2 tensor feature; row r holds r-based values. */
function table(rows: number[], shape: number[] = [2, 2]): FeatureTable {
  const per = shape.reduce((a, b) => a * b, 1);
  return {
    rows: rows.length,
    columns: ["n", "s", "t"],
    numeric: Float64Array.from(rows.flatMap((r) => [r, Number.NaN, Number.NaN])),
    strings: [undefined, rows.map((r) => (r % 2 === 0 ? `s${r}` : null)), undefined],
    tensors: [
      undefined,
      undefined,
      {
        shape,
        data: Float64Array.from(rows.flatMap((r) => Array.from({ length: per }, (_, i) => r * 10 + i))),
      },
    ],
  };
}

describe("joining tables and splitting results", () => {
  it("joins numbers, strings and tensors row after row", () => {
    const joined = joinTables([table([1]), table([2, 3]), table([4])]);
    assert.deepStrictEqual(joined, table([1, 2, 3, 4]));
  });

  it("joins numeric tables, small and large, reading only each table's rows of its buffer", () => {
    const numeric = (rows: number, from: number, spare = 0): FeatureTable => ({
      rows,
      columns: ["a", "b"],
      // A buffer may be longer than its rows (the values past them are not the table's).
      numeric: Float64Array.from({ length: rows * 2 + spare }, (_, i) => (i < rows * 2 ? from + i : -1)),
      strings: [undefined, undefined],
      tensors: [],
    });
    // 1 row (copied value by value), 40 rows (80 values: copied as a block), 1 row with spare values.
    const joined = joinTables([numeric(1, 0), numeric(40, 2, 3), numeric(1, 82, 5)]);
    assert.deepStrictEqual(joined, {
      rows: 42,
      columns: ["a", "b"],
      numeric: Float64Array.from({ length: 84 }, (_, i) => i),
      strings: [undefined, undefined],
      tensors: [],
    });
  });

  it("joins only tables with the same columns and tensor shapes", () => {
    assert.equal(canJoin(table([1]), table([2])), true);
    assert.equal(canJoin(table([1]), table([2], [4])), false);
    assert.equal(canJoin(table([1]), { ...table([2]), columns: ["n", "s", "u"] }), false);
  });

  it("cuts predictions, probability rows and model time back into each part", () => {
    const parts = splitResult(
      {
        predictions: ["a", "b", "c", "d"],
        probabilities: {
          rows: 4,
          cols: 2,
          data: Float64Array.from([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6]),
        },
        classes: ["x", "y"],
        inferenceMs: 8,
      },
      [1, 3],
    );
    assert.deepStrictEqual(parts, [
      {
        predictions: ["a"],
        probabilities: { rows: 1, cols: 2, data: Float64Array.from([0.1, 0.9]) },
        classes: ["x", "y"],
        inferenceMs: 2,
      },
      {
        predictions: ["b", "c", "d"],
        probabilities: { rows: 3, cols: 2, data: Float64Array.from([0.2, 0.8, 0.3, 0.7, 0.4, 0.6]) },
        classes: ["x", "y"],
        inferenceMs: 6,
      },
    ]);
  });
});
