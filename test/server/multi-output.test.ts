/**
 * @module Multi-output classifiers over HTTP: a MultiOutputClassifier and a multilabel OneVsRestClassifier
 * answer `/predict`, `/predict/batch`, `/predict_proba` and `/predict_proba/batch` with one label per output and
 * one probability map per output, equal to scikit-learn's (fixtures), and every answer fits the response
 * schema the OpenAPI document gives for it.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FastifyInstance } from "fastify";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";

const fx = fileURLToPath(new URL("../fixtures/sklearn/1.9.1/", import.meta.url));
const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });

const MODELS = {
  moc: "multi-moc-proba-rf-iris",
  multilabel: "multi-ovr-multilabel-logreg-iris",
  text: "multi-moc-text-logreg-wine",
} as const;

interface Expected {
  rel: number;
  abs: number;
  predict: (number | string)[][];
  predict_proba_outputs: number[][][];
  output_classes: (number | string)[][];
}

let fastify: FastifyInstance;
let doc: { paths: Record<string, Record<string, { responses: Record<string, { content: unknown }> }>> };

before(async () => {
  const registry = new ModelRegistry();
  for (const [name, dir] of Object.entries(MODELS))
    registry.register(name, "1", await loadModel(join(fx, dir, "model.joblib")));
  fastify = buildApp(registry, { logger: silent }).fastify;
  doc = (await fastify.inject({ method: "GET", url: "/openapi.json" })).json();
});
after(() => fastify.close());

/** The JSON body of a POST, checked against the OpenAPI document's 200 schema of that path. */
async function post(path: string, payload: object): Promise<Record<string, unknown>> {
  const res = await fastify.inject({ method: "POST", url: path, payload });
  assert.equal(res.statusCode, 200, res.body);
  const body: Record<string, unknown> = res.json();
  const content = doc.paths[path]?.post?.responses["200"].content as {
    "application/json": { schema: object };
  };
  assert.ok(content, `the document describes ${path}`);
  const validate = ajv.compile(content["application/json"].schema);
  assert.ok(validate(body), `${path}: ${JSON.stringify(validate.errors)}`);
  return body;
}

/** Whether per-row, per-output probability maps are scikit-learn's, within the fixture's tolerance. */
function assertProbabilities(got: Record<string, number>[][], x: Expected, what: string) {
  assert.equal(got.length, x.predict.length);
  got.forEach((row, r) => {
    assert.equal(row.length, x.output_classes.length);
    row.forEach((map, o) => {
      assert.deepEqual(Object.keys(map), x.output_classes[o].map(String));
      x.output_classes[o].forEach((c, j) => {
        const e = x.predict_proba_outputs[o][r][j];
        const a = map[String(c)];
        assert.ok(
          Math.abs(a - e) <= Math.max(x.abs, x.rel * Math.abs(e)),
          `${what} row ${r} output ${o}: ${a} vs ${e}`,
        );
      });
    });
  });
}

describe("multi-output classifiers over HTTP", () => {
  for (const [name, dir] of Object.entries(MODELS)) {
    const x: Expected = read(join(fx, dir, "expected.json"));
    const rows: number[][] = read(join(fx, dir, "inputs.json"));

    it(`${name}: /predict/batch answers labels and probabilities per output, as scikit-learn`, async () => {
      const body = await post(`/models/${name}/predict/batch`, { instances: rows });
      // Exact JSON values: the indicator/label rows scikit-learn predicted.
      assert.deepEqual(body.predictions, x.predict);
      assertProbabilities(body.probabilities as Record<string, number>[][], x, name);
    });

    it(`${name}: /predict answers one row the same way`, async () => {
      const body = await post(`/models/${name}/predict`, { features: rows[3] });
      assert.deepEqual(body.prediction, x.predict[3]);
      const probs = body.probabilities as Record<string, number>[];
      assertProbabilities(
        [probs],
        { ...x, predict: [x.predict[3]], predict_proba_outputs: x.predict_proba_outputs.map((o) => [o[3]]) },
        name,
      );
    });

    it(`${name}: /predict_proba and its batch give classes per output`, async () => {
      const batch = await post(`/models/${name}/predict_proba/batch`, { instances: rows });
      assert.deepEqual(batch.classes, x.output_classes);
      assertProbabilities(batch.probabilities as Record<string, number>[][], x, name);
      const one = await post(`/models/${name}/predict_proba`, { features: rows[0] });
      assert.deepEqual(one.classes, x.output_classes);
      assert.deepEqual(one.probabilities, (batch.probabilities as unknown[])[0]);
    });
  }

  it("gives examples that fit their own response schemas", () => {
    let checked = 0;
    for (const name of Object.keys(MODELS))
      for (const path of ["predict", "predict/batch", "predict_proba", "predict_proba/batch"]) {
        const content = doc.paths[`/models/${name}/${path}`].post.responses["200"].content as {
          "application/json": { schema: object; example?: unknown };
        };
        const { schema, example } = content["application/json"];
        assert.ok(example, `${name} ${path} has an example answer`);
        const validate = ajv.compile(schema);
        assert.ok(validate(example), `${name} ${path}: ${JSON.stringify(validate.errors)}`);
        checked++;
      }
    assert.equal(checked, 12);
  });

  it("V2 answers text label rows as a BYTES [rows, outputs] tensor", async () => {
    const x: Expected = read(join(fx, MODELS.text, "expected.json"));
    const rows: number[][] = read(join(fx, MODELS.text, "inputs.json"));
    const meta = await fastify.inject({ method: "GET", url: "/v2/models/text" });
    assert.equal(meta.statusCode, 200, meta.body);
    const predict = meta.json().outputs.find((o: { name: string }) => o.name === "predict");
    assert.deepEqual(predict, { name: "predict", datatype: "BYTES", shape: [-1, 2] });
    const res = await fastify.inject({
      method: "POST",
      url: "/v2/models/text/infer",
      payload: {
        inputs: [
          { name: "input-0", shape: [2, rows[0].length], datatype: "FP64", data: rows.slice(0, 2).flat() },
        ],
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json().outputs.find((o: { name: string }) => o.name === "predict");
    assert.deepEqual(out, {
      name: "predict",
      datatype: "BYTES",
      shape: [2, 2],
      data: x.predict.slice(0, 2).flat(),
    });
  });

  it("V2 answers predict_proba as an FP64 [rows, Σ classes] tensor, each output's classes side by side", async () => {
    const x: Expected = read(join(fx, MODELS.moc, "expected.json"));
    const rows: number[][] = read(join(fx, MODELS.moc, "inputs.json"));
    const width = x.output_classes.reduce((n, cs) => n + cs.length, 0);
    const meta = await fastify.inject({ method: "GET", url: "/v2/models/moc" });
    const proba = meta.json().outputs.find((o: { name: string }) => o.name === "predict_proba");
    assert.deepEqual(proba, { name: "predict_proba", datatype: "FP64", shape: [-1, width] });
    const res = await fastify.inject({
      method: "POST",
      url: "/v2/models/moc/infer",
      payload: {
        inputs: [
          { name: "input-0", shape: [rows.length, rows[0].length], datatype: "FP64", data: rows.flat() },
        ],
        outputs: [{ name: "predict_proba" }],
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json().outputs[0] as { name: string; datatype: string; shape: number[]; data: number[] };
    assert.equal(out.datatype, "FP64");
    assert.deepEqual(out.shape, [rows.length, width]);
    const maps = rows.map((_, r) => {
      let at = r * width;
      return x.output_classes.map((cs) => Object.fromEntries(cs.map((c) => [String(c), out.data[at++]])));
    });
    assertProbabilities(maps, x, "V2 moc");
  });

  it("documents one label enum per output and the multilabel output names", () => {
    const schema = (
      doc.paths["/models/multilabel/predict"].post.responses["200"].content as {
        "application/json": {
          schema: { properties: { prediction: { prefixItems: unknown[]; description: string } } };
        };
      }
    )["application/json"].schema.properties.prediction;
    assert.deepEqual(schema.prefixItems, [
      { enum: [0, 1] },
      { enum: [0, 1] },
      { enum: [0, 1] },
      { enum: [0, 1] },
    ]);
    assert.match(schema.description, /0, 1, 2, 3/);
  });
});
