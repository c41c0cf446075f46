/** @module Audit redaction cannot be bypassed by the request's shape: every row is named after the schema first. */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadConfig } from "../../src/config/config.ts";
import { appFor } from "../../src/deploy.ts";
import { maskValue } from "../../src/observability/audit-log.ts";
import { namedRow } from "../../src/observability/audit-rows.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { silent } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-redact-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const customer = defineModel({
  name: "customer",
  inputs: { email: "string", ssn: "string", name: "string", age: "float" },
  predict: (rows) => rows.map((r) => ((r.age as number) > 40 ? "gold" : "basic")),
  predictProba: (rows) => rows.map((r) => ((r.age as number) > 40 ? [0.1, 0.9] : [0.8, 0.2])),
  classes: ["basic", "gold"],
});

const person = (i: number) => ({
  email: `person${i}@example.org`,
  ssn: `123-45-${String(6000 + i)}`,
  name: `Secret Name Number ${i}`,
  age: 20 + i,
});
const values = (i: number) => {
  const p = person(i);
  return [p.email, p.ssn, p.name, p.age];
};
const hash = (v: string) => `sha256:${createHash("sha256").update(`salt!${v}`).digest("hex")}`;
const expected = (i: number) => {
  const p = person(i);
  return { email: hash(p.email), name: maskValue(p.name), age: p.age };
};

/** Each shape a client may use, with the persons it carries. */
const SHAPES: readonly { name: string; url: string; body: unknown; persons: number[] }[] = [
  { name: "named row", url: "/predict", body: person(1), persons: [1] },
  { name: "features wrapper", url: "/predict", body: { features: values(2) }, persons: [2] },
  { name: "named row, probabilities", url: "/predict_proba", body: person(3), persons: [3] },
  {
    name: "batch of named rows",
    url: "/models/customer/predict/batch",
    body: { instances: [person(4), person(5)] },
    persons: [4, 5],
  },
  {
    name: "batch of positional arrays",
    url: "/predict/batch",
    body: { instances: [values(6), values(7)] },
    persons: [6, 7],
  },
  {
    name: "batch of features wrappers",
    url: "/models/customer/versions/1/predict_proba/batch",
    body: { instances: [{ features: values(8) }] },
    persons: [8],
  },
  {
    name: "mixed batch",
    url: "/predict/batch",
    body: { instances: [values(9), person(10), { features: values(11) }] },
    persons: [9, 10, 11],
  },
  {
    name: "V2 request, one tensor per feature",
    url: "/v2/models/customer/infer",
    body: {
      inputs: [
        { name: "email", shape: [2], datatype: "BYTES", data: [person(12).email, person(13).email] },
        { name: "ssn", shape: [2], datatype: "BYTES", data: [person(12).ssn, person(13).ssn] },
        { name: "name", shape: [2], datatype: "BYTES", data: [person(12).name, person(13).name] },
        { name: "age", shape: [2], datatype: "FP64", data: [person(12).age, person(13).age] },
      ],
    },
    persons: [12, 13],
  },
  {
    name: "KServe V1 request",
    url: "/v1/models/customer:predict",
    body: { instances: [values(14), person(15)] },
    persons: [14, 15],
  },
];

describe("audit redaction by schema name", () => {
  for (const shape of SHAPES) {
    it(`applies to a ${shape.name}`, async () => {
      const target = join(dir, `${shape.name.replace(/\W+/g, "-")}.jsonl`);
      const registry = new ModelRegistry();
      registry.register("customer", "1", loadDefinition(customer));
      const app = appFor(
        registry,
        loadConfig({
          env: {},
          code: { auditLog: target, auditLogRedact: "email:hash,ssn:drop,name:mask", auditLogSalt: "salt!" },
        }),
        silent,
      );
      const r = await app.fastify.inject({ method: "POST", url: shape.url, payload: shape.body as object });
      assert.equal(r.statusCode, 200, r.body);
      await app.fastify.close();
      const raw = readFileSync(target, "utf8");
      for (const i of shape.persons) {
        const p = person(i);
        for (const secret of [p.email, p.ssn, p.name, "Secret Name"])
          assert.ok(!raw.includes(secret), `${secret} reached the audit log`);
      }
      const lines = raw.trim().split("\n");
      assert.equal(lines.length, 1);
      const entry = JSON.parse(lines[0]) as { inputs: unknown[] };
      assert.deepEqual(
        entry.inputs,
        shape.persons.map((i) => expected(i)),
      );
    });
  }

  it("applies to a V2 tensor of numbers validated straight into the table (no rows built)", async () => {
    // An all-numeric model: its [N, F] tensor takes the validator's fast path, and the audit entry's
    // rows are made from the table only because this request is audited.
    const scores = defineModel({
      name: "scores",
      inputs: { income: "float", debt: "float", age: "float" },
      predict: (rows) => rows.map((r) => (r.debt as number) / (r.income as number)),
    });
    const target = join(dir, "v2-numeric.jsonl");
    const registry = new ModelRegistry();
    registry.register("scores", "1", loadDefinition(scores));
    const app = appFor(
      registry,
      loadConfig({
        env: {},
        code: { auditLog: target, auditLogRedact: "income:hash,debt:drop,age:mask", auditLogSalt: "salt!" },
      }),
      silent,
    );
    const data = [98765.4321, 1234.5678, 42, 55555.125, 777.25, 61];
    const r = await app.fastify.inject({
      method: "POST",
      url: "/v2/models/scores/infer",
      payload: { inputs: [{ name: "input-0", shape: [2, 3], datatype: "FP64", data }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    await app.fastify.close();
    const raw = readFileSync(target, "utf8");
    for (const secret of ["98765.4321", "1234.5678", "55555.125", "777.25"])
      assert.ok(!raw.includes(secret), `${secret} reached the audit log`);
    const entry = JSON.parse(raw.trim()) as { inputs: unknown[] };
    assert.deepEqual(entry.inputs, [
      { income: hash("98765.4321"), age: maskValue(42) },
      { income: hash("55555.125"), age: maskValue(61) },
    ]);
  });

  it("names positional rows, keeps named ones, and leaves a model input called features alone", () => {
    assert.deepEqual(namedRow([1, 2], ["a", "b"]), { a: 1, b: 2 });
    assert.deepEqual(namedRow({ features: [1, 2] }, ["a", "b"]), { a: 1, b: 2 });
    assert.deepEqual(namedRow({ a: 1, b: 2 }, ["a", "b"]), { a: 1, b: 2 });
    assert.deepEqual(namedRow({ features: [1, 2] }, ["features"]), { features: [1, 2] });
    assert.deepEqual(namedRow([1, 2, 3], ["a", "b"]), { a: 1, b: 2, x2: 3 });
  });
});
