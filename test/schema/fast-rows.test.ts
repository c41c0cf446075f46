/**
 * The all-numeric fast path against the general validator: on thousands of random batches (valid,
 * and with every kind of damage), both give the same table or the same error, code for code and word
 * for word.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import type { ModelSignature } from "../../src/runtimes/runtime.ts";
import { compileFastRows } from "../../src/schema/fast-rows.ts";
import { compileValidator } from "../../src/schema/validator.ts";

const signature: ModelSignature = {
  inputs: [
    { name: "a", dtype: "float", nullable: false },
    { name: "b", dtype: "float", nullable: true, range: { min: -5, max: 5 } },
    { name: "n", dtype: "int", nullable: false },
  ],
  output: { task: "regression", targets: 1 },
  capabilities: {
    predict: true,
    predictProba: false,
    decisionFunction: false,
    transform: false,
    rawScore: false,
  },
};

/** A deterministic pseudo-random source, so a failure is reproducible. */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const damages: ((row: unknown[]) => unknown)[] = [
  (row) => row,
  (row) => row,
  (row) => ({ a: row[0], b: row[1], n: row[2] }),
  (row) => ({ features: row }),
  (row) => [...row, 1],
  (row) => row.slice(0, 2),
  (row) => [String(row[0]), row[1], row[2]],
  (row) => [row[0], 9, row[2]],
  (row) => [row[0], null, row[2]],
  (row) => [null, row[1], row[2]],
  (row) => [row[0], row[1], 1.5],
  (row) => ({ a: row[0], b: row[1] }),
  (row) => ({ a: row[0], b: row[1], n: row[2], extra: 1 }),
  (row) => ({ a: row[0], b: row[1], n: true }),
  () => "text",
  () => null,
  () => 42,
  (row) => ({ features: row.slice(1) }),
  (row) => [[row[0]], row[1], row[2]],
];

function outcome(v: ReturnType<typeof compileValidator>, rows: unknown[]): unknown {
  try {
    const t = v.toTable(rows, "instances");
    return {
      rows: t.rows,
      columns: t.columns,
      numeric: [...t.numeric],
      strings: [...t.strings],
      tensors: [...t.tensors],
    };
  } catch (e) {
    assert.ok(isModelServeError(e));
    return { code: e.code, status: e.statusCode, message: e.message, details: e.details };
  }
}

describe("the numeric fast path", () => {
  it("applies to all-numeric signatures only", () => {
    assert.ok(compileFastRows(signature));
    const withCategory = {
      ...signature,
      inputs: [
        ...signature.inputs,
        { name: "c", dtype: "category" as const, categories: ["x"], nullable: false },
      ],
    };
    assert.equal(compileFastRows(withCategory), undefined);
  });

  it("gives the general validator's table or error on 3000 random batches", () => {
    const fast = compileValidator(signature);
    const general = compileValidator(signature, { fast: false });
    const r = rng(7);
    let errors = 0;
    for (let k = 0; k < 3000; k++) {
      const n = 1 + Math.floor(r() * 5);
      const rows = Array.from({ length: n }, () => {
        const row = [r() * 10 - 5, r() * 8 - 4, Math.floor(r() * 100)];
        // Most rows stay valid; a damaged one anywhere sends the batch through the general path.
        return r() < 0.8 ? row : damages[Math.floor(r() * damages.length)](row);
      });
      const a = outcome(fast, rows);
      const b = outcome(general, rows);
      assert.deepEqual(a, b, JSON.stringify(rows));
      if ((a as { code?: string }).code) errors++;
    }
    assert.ok(errors > 300 && errors < 2700, `both outcomes exercised (${errors} errors)`);
  });
});
