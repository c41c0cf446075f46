import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { buildApp } from "../../src/server/app.ts";
import { closeGracefully } from "../../src/server/lifecycle.ts";
import { makeApp, silent } from "../helpers.ts";

const { fastify } = makeApp();
after(() => fastify.close());
const get = (url: string) => fastify.inject({ method: "GET", url });

describe("model listing", () => {
  it("lists models with versions, states and the default", async () => {
    const res = await get("/models");
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.defaultModel, "heuristic");
    assert.deepEqual(
      body.models.map((m: { name: string }) => m.name),
      ["heuristic", "linear"],
    );
    const v = body.models[0].versions[0];
    assert.equal(v.state, "ready");
    assert.equal(v.features, 4);
    assert.equal(v.task, "classification");
    assert.match(v.info.sha256, /^[0-9a-f]{64}$/);
  });

  it("describes one model and one version with the full signature", async () => {
    const m = (await get("/models/linear")).json();
    assert.equal(m.defaultVersion, "2");
    assert.deepEqual(
      m.versions[0].signature.inputs.map((f: { name: string }) => f.name),
      ["a", "b", "color", "n", "flag", "note"],
    );
    const v = await get("/models/heuristic/versions/1");
    assert.equal(v.statusCode, 200);
    assert.deepEqual(v.json().signature.output.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal((await get("/models/nope")).json().error.code, "MS_MODEL_NOT_FOUND");
    assert.equal((await get("/models/linear/versions/7")).json().error.code, "MS_VERSION_NOT_FOUND");
  });
});

describe("health", () => {
  it("is live, ready, and summarises models", async () => {
    assert.deepEqual((await get("/health/live")).json(), { status: "live" });
    assert.deepEqual((await get("/health/ready")).json(), { status: "ready" });
    const h = (await get("/health")).json();
    assert.equal(h.status, "ok");
    assert.equal(typeof h.uptimeSeconds, "number");
    assert.deepEqual(h.models[1], {
      name: "linear",
      defaultVersion: "2",
      versions: [{ version: "2", state: "ready", features: 6, task: "regression" }],
    });
  });

  it("is not ready while a startup model loads, and again while shutting down", async () => {
    const registry = new ModelRegistry();
    const app = buildApp(registry, { logger: silent });
    let finish: () => void = () => undefined;
    const def = defineModel({ name: "slow", inputs: { x: "float" }, predict: (rows) => rows.map(() => 1) });
    const loading = registry.load(
      "slow",
      "1",
      () =>
        new Promise((resolve) => {
          finish = () => resolve(loadDefinition(def));
        }),
    );
    const before = await app.fastify.inject({ method: "GET", url: "/health/ready" });
    assert.equal(before.statusCode, 503);
    assert.match(before.json().reason, /loading: slow@1/);
    const predictWhileLoading = await app.fastify.inject({
      method: "POST",
      url: "/predict",
      payload: { x: 1 },
    });
    assert.equal(predictWhileLoading.statusCode, 503);
    assert.equal(predictWhileLoading.json().error.code, "MS_MODEL_NOT_READY");
    finish();
    await loading;
    assert.equal((await app.fastify.inject({ method: "GET", url: "/health/ready" })).statusCode, 200);
    const closing = closeGracefully(app, 1000);
    assert.equal(app.context.shuttingDown, true);
    await closing;
  });
});

describe("OpenAPI and docs", () => {
  it("documents each model with its real fields, enums and examples", async () => {
    const res = await get("/openapi.json");
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, "3.1.0");
    const irisOp = doc.paths["/models/heuristic/predict"].post;
    const named = irisOp.requestBody.content["application/json"].schema.oneOf[0];
    assert.deepEqual(named.required, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    assert.equal(named.additionalProperties, false);
    assert.deepEqual(irisOp.requestBody.content["application/json"].example, {
      sepal_length: 5.1,
      sepal_width: 3.5,
      petal_length: 1.4,
      petal_width: 0.2,
    });
    const linearOp = doc.paths["/models/linear/predict"].post;
    const props = linearOp.requestBody.content["application/json"].schema.oneOf[0].properties;
    assert.deepEqual(props.color.enum, ["red", "green"]);
    assert.deepEqual(props.b.type, ["number", "null"]);
    assert.equal(props.a.maximum, 10);
    assert.ok(doc.paths["/predict"], "default model routes");
    assert.ok(doc.paths["/models/heuristic/predict_proba/batch"]);
    assert.equal(doc.paths["/models/linear/predict_proba"], undefined, "no proba route for a regressor");
    assert.ok(
      doc.components.schemas.Error.properties.error.properties.code.enum.includes("MS_INVALID_INPUT"),
    );
  });

  it("serves Swagger UI and ReDoc from local assets", async () => {
    const docs = await get("/docs");
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(docs.body, /https?:\/\//, "no CDN");
    const bundle = await get("/docs/static/swagger-ui-bundle.js");
    assert.equal(bundle.statusCode, 200);
    assert.ok(bundle.body.length > 100_000);
    const redoc = await get("/redoc");
    assert.match(redoc.body, /redoc\.standalone\.js/);
    assert.equal((await get("/redoc/static/redoc.standalone.js")).statusCode, 200);
    assert.equal((await get("/docs/static/..%2Fpackage.json")).statusCode, 404);
  });

  it("regenerates the document when the registry changes", async () => {
    const registry = new ModelRegistry();
    const app = buildApp(registry, { logger: silent });
    assert.equal(
      (await app.fastify.inject({ method: "GET", url: "/openapi.json" })).json().paths["/models/x/predict"],
      undefined,
    );
    const def = defineModel({ name: "x", inputs: { v: "float" }, predict: (rows) => rows.map(() => 0) });
    registry.register("x", "1", loadDefinition(def));
    assert.ok(
      (await app.fastify.inject({ method: "GET", url: "/openapi.json" })).json().paths["/models/x/predict"],
    );
    await app.fastify.close();
  });
});
