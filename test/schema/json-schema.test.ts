/**
 * @module Tests of the JSON Schemas generated from signatures: each is a valid JSON Schema 2020-12
 * (checked by Ajv against the meta-schema), each generated example satisfies its own schema and the
 * model's validator, and the schema accepts exactly the values the validator accepts.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FeatureSpec, ModelSignature } from "../../src/runtimes/runtime.ts";
import {
  batchRequestSchema,
  exampleRow,
  exampleValue,
  featureSchema,
  namedRowSchema,
  positionalRowSchema,
  predictionSchema,
  probabilitiesSchema,
  singleRequestSchema,
} from "../../src/schema/json-schema.ts";
import { compileValidator } from "../../src/schema/validator.ts";

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: false });
// Annotation keywords of OpenAPI / JSON Schema that strict mode should not flag.
ajv.addVocabulary(["example"]);

/** Compiles a schema (Ajv checks it against the 2020-12 meta-schema) and returns its validator. */
const compile = (schema: object) => ajv.compile(schema);

const caps = {
  predict: true,
  predictProba: false,
  decisionFunction: false,
  transform: false,
  rawScore: false,
} as const;
const sig = (
  inputs: FeatureSpec[],
  output: ModelSignature["output"] = { task: "regression" },
): ModelSignature => ({
  inputs,
  output,
  capabilities: caps,
});

/** One feature of every kind the validator knows, with ranges, nulls and categories. */
const FEATURES: FeatureSpec[] = [
  { name: "f", dtype: "float", nullable: false },
  { name: "f_range", dtype: "float", nullable: false, range: { min: -1, max: 3 } },
  { name: "f_min", dtype: "float", nullable: false, range: { min: 1 } },
  { name: "f_max", dtype: "float", nullable: false, range: { max: -1 } },
  { name: "f_null", dtype: "float", nullable: true },
  { name: "i", dtype: "int", nullable: false },
  { name: "i_range", dtype: "int", nullable: false, range: { min: 5, max: 9 } },
  { name: "i_max", dtype: "int", nullable: false, range: { max: -3 } },
  { name: "b", dtype: "bool", nullable: false },
  { name: "s", dtype: "string", nullable: false },
  { name: "s_null", dtype: "string", nullable: true },
  { name: "c_str", dtype: "category", nullable: false, categories: ["red", "blue"] },
  { name: "c_int", dtype: "category", nullable: false, categories: [0, 1, 2] },
  { name: "c_float", dtype: "category", nullable: false, categories: [0.5, 1.5] },
  { name: "c_mixed", dtype: "category", nullable: true, categories: ["a", 1] },
  {
    name: "c_open",
    dtype: "category",
    nullable: false,
    categories: ["x", "y"],
    allowUnknownCategories: true,
  },
  { name: "t", dtype: "tensor", nullable: false, shape: [2, 3] },
  { name: "described", dtype: "float", nullable: false, description: "Petal length in cm", example: 1.4 },
];

/** Values to try on every feature: the schema and the validator must agree on each. */
const PROBES: unknown[] = [
  0,
  1,
  -1,
  2,
  5,
  7,
  9,
  10,
  -3,
  -5,
  0.5,
  1.5,
  2.5,
  -0.5,
  true,
  false,
  null,
  "",
  "red",
  "blue",
  "green",
  "a",
  "x",
  "z",
  "1",
  [],
  [1, 2, 3],
  [
    [1, 2, 3],
    [4, 5, 6],
  ],
  [
    [1, 2],
    [3, 4],
  ],
  { a: 1 },
];

const validatorAccepts = (spec: FeatureSpec, value: unknown) => {
  try {
    compileValidator(sig([spec])).toTable([{ [spec.name]: value }], "rows");
    return true;
  } catch {
    return false;
  }
};

describe("featureSchema", () => {
  it("is a valid JSON Schema 2020-12 for every kind of feature", () => {
    for (const spec of FEATURES) assert.doesNotThrow(() => compile(featureSchema(spec)), spec.name);
  });

  it("accepts exactly what the validator accepts", () => {
    for (const spec of FEATURES) {
      const check = compile(featureSchema(spec));
      for (const v of [...PROBES, exampleValue(spec)]) {
        assert.equal(
          check(v),
          validatorAccepts(spec, v),
          `${spec.name} = ${JSON.stringify(v)}: schema and validator disagree`,
        );
      }
    }
  });

  it("gives every feature an example that its schema and the validator accept", () => {
    for (const spec of FEATURES) {
      const s = featureSchema(spec);
      assert.deepEqual(s.examples, [exampleValue(spec)]);
      assert.ok(compile(s)(exampleValue(spec)), `${spec.name} example ${JSON.stringify(exampleValue(spec))}`);
      assert.ok(validatorAccepts(spec, exampleValue(spec)), `${spec.name} example passes the validator`);
    }
  });

  it("spells out types, enums, bounds and descriptions", () => {
    const by = Object.fromEntries(FEATURES.map((f) => [f.name, featureSchema(f)]));
    assert.equal(by.f.type, "number");
    assert.deepEqual([by.f_range.minimum, by.f_range.maximum], [-1, 3]);
    assert.deepEqual(by.f_null.type, ["number", "null"]);
    assert.equal(by.i.type, "integer");
    assert.equal(by.b.type, "boolean");
    assert.deepEqual(by.c_str.enum, ["red", "blue"]);
    assert.equal(by.c_int.type, "integer");
    assert.equal(by.c_float.type, "number");
    assert.deepEqual(by.c_mixed.enum, ["a", 1, null]);
    assert.deepEqual(by.c_mixed.type, ["string", "integer", "null"]);
    assert.equal(by.c_open.enum, undefined, "unknown categories allowed: no enum");
    assert.equal(by.described.description, "Petal length in cm");
    assert.deepEqual(by.described.examples, [1.4]);
    assert.deepEqual(by.t, {
      type: "array",
      minItems: 2,
      maxItems: 2,
      items: { type: "array", minItems: 3, maxItems: 3, items: { type: "number" } },
      examples: [
        [
          [0, 0, 0],
          [0, 0, 0],
        ],
      ],
    });
  });
});

describe("row and request schemas", () => {
  const s = sig(FEATURES.filter((f) => f.dtype !== "tensor"));
  const names = s.inputs.map((f) => f.name);
  const row = exampleRow(s);
  const positional = names.map((n) => row[n]);

  it("named rows: every feature required, nothing else", () => {
    const check = compile(namedRowSchema(s));
    assert.deepEqual(Object.keys(row), names);
    assert.ok(check(row), JSON.stringify(check.errors));
    assert.ok(!check({ ...row, extra: 1 }), "unknown field refused");
    const { f: _dropped, ...missing } = row;
    assert.ok(!check(missing), "missing field refused");
  });

  it("positional rows: values in signature order, exactly as many", () => {
    const p = positionalRowSchema(s);
    const check = compile(p);
    assert.ok(check(positional), JSON.stringify(check.errors));
    assert.ok(!check(positional.slice(1)), "too short");
    assert.ok(!check([...positional, 1]), "too long");
    assert.deepEqual(
      (p.prefixItems as { title: string }[]).map((x) => x.title),
      names,
    );
    assert.equal(p.description, `Values in this order: ${names.join(", ")}`);
  });

  it("single and batch bodies take what the server takes, and the batch limit", () => {
    const single = compile(singleRequestSchema(s));
    assert.ok(single(row));
    assert.ok(single({ features: positional }));
    assert.ok(!single({ features: positional.slice(1) }));
    const batch = compile(batchRequestSchema(s, 3));
    assert.ok(batch({ instances: [row, positional] }), JSON.stringify(batch.errors));
    assert.ok(!batch({ instances: [] }), "at least one row");
    assert.ok(!batch({ instances: [row, row, row, row] }), "at most maxBatchSize rows");
    assert.ok(!batch({ instances: [row], other: 1 }), "nothing next to instances");
    // The validator agrees on the same bodies.
    const v = compileValidator(s);
    assert.equal(v.toTable([row, positional], "instances").rows, 2);
  });
});

describe("output schemas", () => {
  it("predictions: an enum of classes, arrays for several targets, objects for tensors, else a number", () => {
    const classes = predictionSchema(
      sig(FEATURES.slice(0, 1), { task: "classification", classes: ["a", 1, true] }),
    );
    assert.deepEqual(classes, { enum: ["a", 1, true], description: "Predicted class label" });
    assert.ok(compile(classes)(1) && !compile(classes)("1"), "labels keep their JSON type");
    const multi = predictionSchema(sig(FEATURES.slice(0, 1), { task: "regression", targets: 3 }));
    assert.ok(compile(multi)([1, 2, 3]) && !compile(multi)([1, 2]));
    assert.deepEqual(predictionSchema(sig(FEATURES.slice(0, 1), { task: "other" })).type, "object");
    assert.deepEqual(predictionSchema(sig(FEATURES.slice(0, 1))), { type: "number" });
  });

  it("probabilities: one property per class label, each in [0, 1]", () => {
    const p = probabilitiesSchema(sig(FEATURES.slice(0, 1), { task: "classification", classes: [0, 1, 2] }));
    const check = compile(p);
    assert.deepEqual(p.required, ["0", "1", "2"]);
    assert.ok(check({ 0: 0.2, 1: 0.3, 2: 0.5 }));
    assert.ok(!check({ 0: 0.2, 1: 0.3 }), "every class");
    assert.ok(!check({ 0: 0.2, 1: 0.3, 2: 1.5 }), "at most 1");
    assert.ok(!check({ 0: 0.2, 1: 0.3, 2: 0.5, 3: 0 }), "no other class");
  });
});
