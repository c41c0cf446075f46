/** @module The explanation routes over HTTP: answers equal the reference libraries' values, errors are stable. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import heuristic from "../../examples/iris/heuristic.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { type App, buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";
import { explainFixtures, readFixture } from "./helpers.ts";

const registry = new ModelRegistry();
let app: App;
let names: Record<string, string[]> = {};

const CASES = {
  xgb: ["xgboost", "binary_logistic_nan", "model.json"],
  lgb: ["lightgbm", "multiclass_iris", "model.txt"],
  rf: ["sklearn", "random_forest_classifier_iris", "model.joblib"],
} as const;

before(async () => {
  for (const [name, [lib, dir, file]] of Object.entries(CASES)) {
    const m = await loadModel(join(explainFixtures, lib, dir, file));
    registry.register(name, "1", m);
    names[name] = m.signature.inputs.map((f) => f.name);
  }
  registry.register("iris", "1", loadDefinition(heuristic), "code");
  app = buildApp(registry, { logger: silent });
});
after(async () => {
  await app.fastify.close();
  await registry.close();
  names = {};
});

const post = (url: string, payload: Record<string, unknown>) =>
  app.fastify.inject({ method: "POST", url, payload });
const named = (model: string, row: unknown[]) => Object.fromEntries(names[model].map((n, i) => [n, row[i]]));

describe("POST /explain", () => {
  it("answers XGBoost's pred_contribs bits for one row, with the prediction", async () => {
    const rows = readFixture<unknown[][]>("xgboost", "binary_logistic_nan", "inputs.json");
    const exp = readFixture<{ contribs: number[][] }>("xgboost", "binary_logistic_nan", "expected.json");
    const res = await post("/models/xgb/explain", named("xgb", rows[3]));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.model, "xgb");
    assert.equal(body.version, "1");
    assert.equal(body.output_space, "margin");
    assert.ok(body.prediction === 0 || body.prediction === 1);
    const F = names.xgb.length;
    assert.equal(body.base_value, exp.contribs[3][F]);
    assert.deepEqual(
      names.xgb.map((n) => body.contributions[n]),
      exp.contribs[3].slice(0, F),
    );
  });

  it("answers per class for a multi-class LightGBM model, in batch", async () => {
    const rows = readFixture<unknown[][]>("lightgbm", "multiclass_iris", "inputs.json");
    const exp = readFixture<{ contribs: number[][][] }>("lightgbm", "multiclass_iris", "expected.json");
    const res = await post("/models/lgb/versions/1/explain/batch", { instances: rows.slice(0, 5) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.explanations.length, 5);
    const F = names.lgb.length;
    body.explanations.forEach(
      (
        e: { base_value: Record<string, number>; contributions: Record<string, Record<string, number>> },
        r: number,
      ) => {
        assert.deepEqual(Object.keys(e.contributions), ["0", "1", "2"]);
        for (let k = 0; k < 3; k++) {
          const want = exp.contribs[r][k];
          assert.ok(Math.abs(e.base_value[String(k)] - want[F]) <= 1e-9 * Math.abs(want[F]));
          names.lgb.forEach((n, j) => {
            const got = e.contributions[String(k)][n];
            assert.ok(Math.abs(got - want[j]) <= 1e-9 * Math.max(...want.map(Math.abs)), `${r} ${k} ${n}`);
          });
        }
      },
    );
  });

  it("answers probabilities per class for a random forest, adding up to predict_proba", async () => {
    const rows = readFixture<unknown[][]>("sklearn", "random_forest_classifier_iris", "inputs.json");
    const res = await post("/models/rf/explain", named("rf", rows[10]));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.output_space, "probability");
    const proba = (await post("/models/rf/predict_proba", named("rf", rows[10]))).json().probabilities;
    for (const cls of Object.keys(proba)) {
      const sum =
        body.base_value[cls] + Object.values<number>(body.contributions[cls]).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - proba[cls]) < 1e-12, `${cls}: ${sum} vs ${proba[cls]}`);
    }
  });

  it("refuses a model that is not a tree with MS_METHOD_NOT_SUPPORTED naming what is supported", async () => {
    const res = await post("/models/iris/explain", {
      sepal_length: 5.1,
      sepal_width: 3.5,
      petal_length: 1.4,
      petal_width: 0.2,
    });
    assert.equal(res.statusCode, 400);
    const body = res.json();
    assert.equal(body.error.code, "MS_METHOD_NOT_SUPPORTED");
    assert.match(body.error.message, /XGBoost/);
    assert.match(body.error.message, /LightGBM/);
  });

  it("validates bodies as /predict does", async () => {
    const missing = await post("/models/xgb/explain/batch", { rows: [] });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, "MS_INVALID_BATCH");
    const unknown = await post("/models/nope/explain", {});
    assert.equal(unknown.statusCode, 404);
  });

  it("documents the routes in OpenAPI for tree models only", async () => {
    const doc = (await app.fastify.inject({ method: "GET", url: "/openapi.json" })).json();
    assert.ok(doc.paths["/models/xgb/explain"].post);
    assert.ok(doc.paths["/models/rf/explain/batch"].post);
    const props =
      doc.paths["/models/lgb/explain"].post.responses["200"].content["application/json"].schema.properties;
    assert.deepEqual(props.output_space.enum, ["margin", "probability", "raw"]);
    assert.equal(doc.paths["/models/iris/explain"], undefined);
  });

  it("counts explanations apart from predictions in /metrics", async () => {
    const text = (await app.fastify.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(text, /modelserve_explain_requests_total\{model="xgb",version="1"\} 1/);
    assert.match(text, /modelserve_explain_rows_total\{model="lgb",version="1"\} 5/);
    assert.doesNotMatch(text, /modelserve_explain_requests_total\{model="iris"/);
  });
});

describe("POST /explain/batch in chunks", () => {
  it("gives the same values across chunk boundaries, and stops at the inference timeout", async () => {
    const reg = new ModelRegistry();
    const dir = join(explainFixtures, "xgboost", "reg_squarederror_nan");
    reg.register("big", "1", await loadModel(join(dir, "model.json")));
    const rows = readFixture<unknown[][]>("xgboost", "reg_squarederror_nan", "inputs.json");
    const exp = readFixture<{ contribs: number[][] }>("xgboost", "reg_squarederror_nan", "expected.json");
    assert.ok(rows.length > 64);
    const plain = buildApp(reg, { logger: silent });
    const res = await plain.fastify.inject({
      method: "POST",
      url: "/explain/batch",
      payload: { instances: rows },
    });
    assert.equal(res.statusCode, 200, res.body);
    const names = Object.keys(res.json().explanations[0].contributions);
    res
      .json()
      .explanations.forEach((e: { base_value: number; contributions: Record<string, number> }, r: number) => {
        assert.deepEqual(
          [...names.map((n) => e.contributions[n]), e.base_value],
          exp.contribs[r],
          `row ${r}`,
        );
      });
    await plain.fastify.close();
    const hurried = buildApp(reg, { logger: silent, inferenceTimeoutMs: 1 });
    const slow = await hurried.fastify.inject({
      method: "POST",
      url: "/explain/batch",
      payload: { instances: [...rows, ...rows, ...rows, ...rows] },
    });
    assert.equal(slow.statusCode, 503, slow.body);
    assert.equal(slow.json().error.code, "MS_INFERENCE_TIMEOUT");
    await hurried.fastify.close();
    await reg.close();
  });
});
