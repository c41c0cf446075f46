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
import { NUMERIC_SIGNATURE } from "../helpers.ts";

const signature = NUMERIC_SIGNATURE;

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

describe("the numeric fast path for tensors (fromMatrix)", () => {
  const plain: ModelSignature = {
    ...signature,
    inputs: [
      { name: "x", dtype: "float", nullable: false },
      { name: "y", dtype: "float", nullable: false },
    ],
  };
  const cellDamages: ((v: number) => unknown)[] = [
    () => Number.NaN,
    () => Number.POSITIVE_INFINITY,
    () => 9,
    () => 1.5,
    () => "1",
    () => true,
    () => null,
  ];

  for (const [label, sig] of [
    ["ranged, nullable and integer columns", signature],
    ["plain float columns", plain],
  ] as const) {
    it(`takes exactly the blocks the general validator takes, with the same table (${label})`, () => {
      const fast = compileValidator(sig);
      const general = compileValidator(sig, { fast: false });
      const width = sig.inputs.length;
      const r = rng(11);
      let taken = 0;
      for (let k = 0; k < 3000; k++) {
        const n = 1 + Math.floor(r() * 4);
        const values: unknown[] = [];
        for (let i = 0; i < n * width; i++) {
          const c = i % width;
          const v = sig.inputs[c].dtype === "int" ? Math.floor(r() * 100) : r() * 8 - 4;
          values.push(r() < 0.97 ? v : cellDamages[Math.floor(r() * cellDamages.length)](v));
        }
        const table = fast.fromMatrix(values);
        // What a V2 front end hands the general validator: NaN as null where a value may be missing;
        // NaN in a column without missing values is refused before the validator.
        const nanWhereNotAllowed = values.some((v, i) => Number.isNaN(v) && !sig.inputs[i % width].nullable);
        const rows = Array.from({ length: n }, (_, row) =>
          values.slice(row * width, (row + 1) * width).map((v) => (Number.isNaN(v) ? null : v)),
        );
        const expected = nanWhereNotAllowed ? undefined : outcome(general, rows);
        if (table) {
          taken++;
          assert.deepEqual(
            {
              rows: table.rows,
              columns: table.columns,
              numeric: [...table.numeric],
              strings: [...table.strings],
            },
            {
              rows: (expected as { rows: number }).rows,
              columns: (expected as { columns: string[] }).columns,
              numeric: (expected as { numeric: number[] }).numeric,
              strings: (expected as { strings: unknown[] }).strings,
            },
            JSON.stringify(values),
          );
        } else
          assert.ok(
            nanWhereNotAllowed || (expected as { code?: string }).code !== undefined,
            `a valid numeric block is taken: ${JSON.stringify(values)}`,
          );
      }
      assert.ok(taken > 1000 && taken < 3000, `both outcomes exercised (${taken} taken)`);
    });
  }

  it("keeps a block the caller owns instead of copying it, with the same table", () => {
    const v = compileValidator(signature);
    const block = Float64Array.from([1.5, Number.NaN, 3, -2, 4, 7]);
    const copied = v.fromMatrix(block);
    const kept = v.fromMatrix(block, true);
    assert.ok(copied && kept);
    assert.notEqual(copied.numeric, block);
    assert.equal(kept.numeric, block);
    assert.deepEqual([...kept.numeric], [...copied.numeric]);
    assert.equal(v.fromMatrix([1.5, 2, 3], true)?.numeric instanceof Float64Array, true);
  });

  it("is absent for a model with a non-numeric input", () => {
    const sig = {
      ...signature,
      inputs: [...signature.inputs, { name: "c", dtype: "string" as const, nullable: false }],
    };
    assert.equal(compileValidator(sig).fromMatrix([1, 2, 3, "x"]), undefined);
  });
});
