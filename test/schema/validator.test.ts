/**
 * @module Tests of the row validator: every field issue code of docs/errors.md (types, ranges,
 * categories, nulls, unknown and missing fields, lengths, shapes, rows that are not objects), the
 * JSON paths it reports for single rows and batches, positional versus named rows, the 50-issue cap,
 * and the table it writes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FieldIssue, isModelServeError } from "../../src/errors.ts";
import type { FeatureSpec, FeatureTable, ModelSignature } from "../../src/runtimes/runtime.ts";
import { compileValidator, tableFromRows } from "../../src/schema/validator.ts";
import { PREDICT_ONLY } from "../helpers.ts";

function sig(...inputs: FeatureSpec[]): ModelSignature {
  return {
    inputs,
    output: { task: "regression" },
    capabilities: PREDICT_ONLY,
  };
}
const f = (name: string, dtype: FeatureSpec["dtype"], extra: Partial<FeatureSpec> = {}): FeatureSpec => ({
  name,
  dtype,
  nullable: false,
  ...extra,
});

/** The issues of the MS_INVALID_INPUT error `run` throws (and checks the error itself). */
function issuesOf(run: () => unknown): FieldIssue[] {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  assert.ok(isModelServeError(caught), `an MS_INVALID_INPUT error, got ${String(caught)}`);
  assert.equal(caught.code, "MS_INVALID_INPUT");
  assert.equal(caught.statusCode, 422);
  const issues = (caught.details as { issues: FieldIssue[] }).issues;
  assert.equal(
    caught.message,
    issues.length === 1
      ? issues[0].message
      : `${issues.length} problems in the input; first: ${issues[0].message}`,
  );
  return issues;
}
const one = (s: ModelSignature, rows: unknown[], path = "instances") => {
  const issues = issuesOf(() => compileValidator(s).toTable(rows, path));
  assert.equal(issues.length, 1, JSON.stringify(issues));
  return issues[0];
};

const xy = sig(f("x", "float"), f("y", "int"));

describe("validator: the table it writes", () => {
  it("writes named and positional rows row-major in signature order", () => {
    const t = compileValidator(xy).toTable(
      [{ y: 2, x: 1.5 }, [-0.25, -3], { features: [7, 8] }],
      "instances",
    );
    assert.equal(t.rows, 3);
    assert.deepEqual(t.columns, ["x", "y"]);
    assert.deepEqual(t.numeric, Float64Array.of(1.5, 2, -0.25, -3, 7, 8));
    assert.deepEqual(t.strings, [undefined, undefined]);
    assert.deepEqual(t.tensors, [undefined, undefined]);
  });

  it("stores booleans as 1/0, strings aside with NaN in the numeric matrix, nulls as NaN/null", () => {
    const s = sig(f("b", "bool"), f("s", "string", { nullable: true }), f("v", "float", { nullable: true }));
    const t = compileValidator(s).toTable(
      [
        { b: true, s: "hi", v: null },
        { b: false, s: null, v: 2 },
      ],
      "rows",
    );
    // deepStrictEqual takes NaN as equal to NaN: the string column and the null are NaN.
    assert.deepEqual(t.numeric, Float64Array.of(1, Number.NaN, Number.NaN, 0, Number.NaN, 2));
    assert.deepEqual(t.strings, [undefined, ["hi", null], undefined]);
  });

  it("keeps numeric categories as numbers and string categories as strings", () => {
    const s = sig(
      f("n", "category", { categories: [0, 1, 2] }),
      f("c", "category", { categories: ["red", "blue"] }),
      f("t", "category", { categories: [true, false] }),
    );
    const t = compileValidator(s).toTable([[2, "blue", false]], "rows");
    assert.equal(t.numeric[0], 2);
    assert.ok(Number.isNaN(t.numeric[1]));
    assert.equal(t.numeric[2], 0);
    assert.deepEqual(t.strings, [undefined, ["blue"], undefined]);
  });

  it("flattens tensors of the declared instance shape", () => {
    const s = sig(f("img", "tensor", { shape: [2, 2] }));
    const t = compileValidator(s).toTable(
      [
        {
          img: [
            [1, 2],
            [3, 4],
          ],
        },
        [
          [
            [5, 6],
            [7, 8],
          ],
        ],
      ],
      "rows",
    );
    assert.deepEqual(t.tensors[0], { shape: [2, 2], data: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    assert.ok(Number.isNaN(t.numeric[0]));
  });

  it("gives every call its own buffers (a compiled validator is reused across requests)", () => {
    const v = compileValidator(xy);
    const a: FeatureTable = v.toTable([[1, 2]], "rows");
    const b = v.toTable(
      [
        [3, 4],
        [5, 6],
      ],
      "rows",
    );
    assert.deepEqual(a.numeric, Float64Array.of(1, 2));
    assert.deepEqual(b.numeric, Float64Array.of(3, 4, 5, 6));
  });

  it("tableFromRows reports paths under rows[i]", () => {
    assert.deepEqual(tableFromRows(xy, [[1, 2]]).numeric, Float64Array.of(1, 2));
    assert.equal(
      issuesOf(() =>
        tableFromRows(xy, [
          [1, 2],
          [1, "2"],
        ]),
      )[0].field,
      "rows[1][1] (y)",
    );
  });
});

describe("validator: field issues", () => {
  it("WRONG_TYPE: a string for a float, 1.5 for an int, 1 for a bool, a number for a string", () => {
    assert.deepEqual(one(xy, [{ x: "abc", y: 1 }]), {
      code: "WRONG_TYPE",
      field: "instances[0].x",
      message: 'instances[0].x must be a finite number, got the string "abc"',
      expected: "float",
    });
    assert.deepEqual(one(xy, [{ x: 1, y: 1.5 }]), {
      code: "WRONG_TYPE",
      field: "instances[0].y",
      message: "instances[0].y must be an integer, got number 1.5",
      expected: "int",
    });
    const b = one(sig(f("b", "bool")), [{ b: 1 }]);
    assert.deepEqual(
      [b.code, b.message, b.expected],
      ["WRONG_TYPE", "instances[0].b must be true or false, got number 1", "bool"],
    );
    const s = one(sig(f("s", "string")), [{ s: 5 }]);
    assert.deepEqual([s.code, s.message], ["WRONG_TYPE", "instances[0].s must be a string, got number 5"]);
    const o = one(xy, [{ x: [1], y: 1 }]);
    assert.deepEqual(
      [o.code, o.message],
      ["WRONG_TYPE", "instances[0].x must be a finite number, got an array"],
    );
    const long = one(xy, [{ x: "a".repeat(60), y: 1 }]);
    assert.equal(long.message, `instances[0].x must be a finite number, got the string "${"a".repeat(40)}…"`);
  });

  it("NON_FINITE: Infinity and NaN (1e999 parses to Infinity)", () => {
    const inf = one(xy, [JSON.parse('{"x": 1e999, "y": 1}')]);
    assert.deepEqual(inf, {
      code: "NON_FINITE",
      field: "instances[0].x",
      message: "instances[0].x must be a finite number, got Infinity",
    });
    assert.equal(one(xy, [{ x: Number.NaN, y: 1 }]).code, "NON_FINITE");
    assert.equal(
      one(sig(f("c", "category", { categories: [1, 2] })), [{ c: Number.NEGATIVE_INFINITY }]).code,
      "NON_FINITE",
    );
  });

  it("NULL_NOT_ALLOWED: null where the feature cannot be missing, also for tensors", () => {
    assert.deepEqual(one(xy, [{ x: null, y: 1 }]), {
      code: "NULL_NOT_ALLOWED",
      field: "instances[0].x",
      message: "instances[0].x must not be null; expected a finite number",
    });
    const t = one(sig(f("img", "tensor", { shape: [2] })), [{ img: null }]);
    assert.deepEqual([t.code, t.message], ["NULL_NOT_ALLOWED", "instances[0].img must not be null"]);
  });

  it("OUT_OF_RANGE: inclusive bounds, one-sided ranges shown with infinities", () => {
    const s = sig(f("age", "int", { range: { min: 0, max: 120 } }), f("w", "float", { range: { min: 0.5 } }));
    assert.deepEqual(
      compileValidator(s).toTable(
        [
          [0, 0.5],
          [120, 1e9],
        ],
        "rows",
      ).numeric,
      Float64Array.of(0, 0.5, 120, 1e9),
    );
    assert.deepEqual(one(s, [[121, 1]]), {
      code: "OUT_OF_RANGE",
      field: "instances[0][0] (age)",
      message: "instances[0][0] (age) is 121, outside the allowed range [0, 120]",
      expected: { min: 0, max: 120 },
    });
    const low = one(s, [[1, 0.25]]);
    assert.equal(low.message, "instances[0][1] (w) is 0.25, outside the allowed range [0.5, ∞]");
    assert.deepEqual(low.expected, { min: 0.5, max: undefined });
    const hi = one(sig(f("t", "float", { range: { max: -1 } })), [[0]]);
    assert.equal(hi.message, "instances[0][0] (t) is 0, outside the allowed range [-∞, -1]");
  });

  it("UNKNOWN_CATEGORY: lists the allowed values; JSON types are not coerced", () => {
    const s = sig(f("c", "category", { categories: ["red", "blue"] }));
    assert.deepEqual(one(s, [{ c: "green" }]), {
      code: "UNKNOWN_CATEGORY",
      field: "instances[0].c",
      message: 'instances[0].c is "green"; expected one of ["red","blue"]',
      expected: ["red", "blue"],
    });
    assert.equal(one(sig(f("n", "category", { categories: [1, 2] })), [{ n: "1" }]).code, "UNKNOWN_CATEGORY");
    assert.equal(one(sig(f("s", "category", { categories: ["1"] })), [{ s: 1 }]).code, "UNKNOWN_CATEGORY");
    const w = one(s, [{ c: { v: "red" } }]);
    assert.deepEqual(
      [w.code, w.message],
      ["WRONG_TYPE", 'instances[0].c must be one of ["red","blue"], got an object'],
    );
  });

  it("accepts unknown categories where the model handles them", () => {
    const s = sig(
      f("c", "category", { categories: ["red", "blue"], allowUnknownCategories: true }),
      f("n", "category", { categories: [1, 2], allowUnknownCategories: true }),
    );
    const t = compileValidator(s).toTable(
      [
        ["green", 7],
        [true, 1],
      ],
      "rows",
    );
    assert.deepEqual(t.strings[0], ["green", "true"]);
    assert.deepEqual([t.numeric[1], t.numeric[3]], [7, 1]);
    assert.equal(one(s, [["red", "x"]]).code, "WRONG_TYPE", "a string in a numeric category column");
  });

  it("WRONG_SHAPE: tensor axes, element types and finiteness", () => {
    const s = sig(f("img", "tensor", { shape: [2, 2] }));
    const cases: [unknown, string][] = [
      [[[1, 2], [3]], "instances[0].img: axis 1 has length 1, expected 2"],
      [[[1, 2]], "instances[0].img: axis 0 has length 1, expected 2"],
      [
        [
          [1, 2],
          [3, "4"],
        ],
        'instances[0].img: expected a number at depth 2, got the string "4"',
      ],
      [[1, 2], "instances[0].img: expected an array at depth 1, got number 1"],
      [
        [
          [1, 2],
          [3, Number.NaN],
        ],
        "instances[0].img: values must be finite numbers",
      ],
      [7, "instances[0].img: expected an array at depth 0, got number 7"],
    ];
    for (const [img, message] of cases) {
      assert.deepEqual(one(s, [{ img }]), {
        code: "WRONG_SHAPE",
        field: "instances[0].img",
        message,
        expected: { shape: [2, 2] },
      });
    }
  });

  it("refuses signatures whose tensors have a free axis inside an instance", () => {
    assert.throws(
      () => compileValidator(sig(f("seq", "tensor", { shape: [-1, 3] }))),
      (e: unknown) =>
        isModelServeError(e) && e.code === "MS_INVALID_DEFINITION" && /fixed instance shapes/.test(e.message),
    );
  });
});

describe("validator: row shapes and paths", () => {
  it("UNKNOWN_FEATURE and MISSING_FEATURE list the model's features", () => {
    const issues = issuesOf(() => compileValidator(xy).toTable([{ x: 1, z: 2 }], "instances"));
    assert.deepEqual(issues, [
      {
        code: "UNKNOWN_FEATURE",
        field: "instances[0].z",
        message: 'unknown feature "z"; expected features: x, y',
        expected: ["x", "y"],
      },
      {
        code: "MISSING_FEATURE",
        field: "instances[0].y",
        message: 'missing feature "y" (an integer)',
        expected: ["x", "y"],
      },
    ]);
  });

  it("named features nested under features: says where each shape goes", () => {
    const issues = issuesOf(() => compileValidator(xy).toTable([{ features: { x: 1, y: 2 } }], "instances"));
    assert.deepEqual(issues[0], {
      code: "UNKNOWN_FEATURE",
      field: "instances[0].features",
      message:
        '"features" takes the 2 values in input order as an array (x, y); named features go in the row itself: {"x": …}',
      expected: ["x", "y"],
    });
    assert.deepEqual(
      issues.slice(1).map((i) => i.code),
      ["MISSING_FEATURE", "MISSING_FEATURE"],
    );
    // Any other value under an unknown key keeps the plain message.
    assert.equal(
      issuesOf(() => compileValidator(xy).toTable([{ features: "1,2" }], "instances"))[0]!.message,
      'unknown feature "features"; expected features: x, y',
    );
  });

  it("WRONG_LENGTH for positional rows, at the row or at .features", () => {
    assert.deepEqual(one(xy, [[1, 2, 3]]), {
      code: "WRONG_LENGTH",
      field: "instances[0]",
      message: "instances[0] has 3 values; the model takes 2: x, y",
      expected: ["x", "y"],
    });
    const w = one(xy, [{ features: [1] }]);
    assert.deepEqual(
      [w.field, w.message],
      ["instances[0].features", "instances[0].features has 1 values; the model takes 2: x, y"],
    );
  });

  it("names positional values by index and feature: rows[i][j] (name), .features[j] (name)", () => {
    assert.equal(
      one(xy, [
        [1, 2],
        [1, null],
      ]).field,
      "instances[1][1] (y)",
    );
    assert.equal(one(xy, [{ features: ["a", 1] }]).field, "instances[0].features[0] (x)");
  });

  it("single rows (path '') report bare field names and 'body'", () => {
    const v = compileValidator(xy);
    assert.equal(issuesOf(() => v.toTable([{ x: 1, y: "2" }], ""))[0].field, "y");
    assert.equal(issuesOf(() => v.toTable([{ x: 1 }], ""))[0].field, "y");
    assert.deepEqual(
      issuesOf(() => v.toTable([5], "")),
      [
        {
          code: "ROW_NOT_OBJECT",
          field: "body",
          message: "row must be an object of named features or an array of 2 values, got number 5",
        },
      ],
    );
  });

  it("ROW_NOT_OBJECT for null, strings and numbers in a batch", () => {
    const issues = issuesOf(() => compileValidator(xy).toTable([null, "row", 3], "instances"));
    assert.deepEqual(
      issues.map((i) => [i.code, i.field]),
      [
        ["ROW_NOT_OBJECT", "instances[0]"],
        ["ROW_NOT_OBJECT", "instances[1]"],
        ["ROW_NOT_OBJECT", "instances[2]"],
      ],
    );
    assert.equal(
      issues[1].message,
      'instances[1] must be an object of named features or an array of 2 values, got the string "row"',
    );
  });

  it("treats {features: …} as a named field when the model has a feature called features", () => {
    const s = sig(f("features", "float"), f("y", "float"));
    const v = compileValidator(s);
    assert.equal(v.positional({ features: [1, 2] }), undefined);
    assert.deepEqual(v.toTable([{ features: 3, y: 4 }], "rows").numeric, Float64Array.of(3, 4));
    assert.deepEqual(compileValidator(xy).positional({ features: [1, 2] }), [1, 2]);
    assert.deepEqual(compileValidator(xy).positional([1, 2]), [1, 2]);
    assert.equal(compileValidator(xy).positional({ x: 1 }), undefined);
  });

  it("reports every problem of a batch up to 50, in row order", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ x: "bad", y: i }));
    const issues = issuesOf(() => compileValidator(xy).toTable(rows, "instances"));
    assert.equal(issues.length, 50);
    assert.deepEqual(
      issues.map((i) => i.field),
      Array.from({ length: 50 }, (_, i) => `instances[${i}].x`),
    );
  });
});
