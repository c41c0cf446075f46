import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { errorCatalogue } from "../../src/errors.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const rf = join(root, "examples/iris/models/random_forest.joblib");
const xgb = join(root, "examples/iris/models/xgboost.json");
const registry = new ModelRegistry();
registry.register("random_forest", "1", await loadModel(rf));
registry.register("xgboost", "1", await loadModel(xgb));
registry.register("xgboost", "2", await loadModel(xgb));
registry.register(
  "lightgbm",
  "1",
  await loadModel(join(root, "test/fixtures/lightgbm/iris_multiclass/model.txt")),
);
registry.setDefaultModel("random_forest");
const app = buildApp(registry, { logger: silent });
after(() => app.fastify.close());
const doc = (await app.fastify.inject({ method: "GET", url: "/openapi.json" })).json();
const post = (url: string, body: unknown) =>
  app.fastify.inject({ method: "POST", url, payload: body as object });
const content = (
  op: { responses: Record<string, { content: Record<string, { example?: unknown }> }> },
  s: string,
) => op.responses[s].content["application/json"].example;

describe("OpenAPI examples built from the model", () => {
  for (const name of ["random_forest", "xgboost", "lightgbm"]) {
    it(`${name}: the example row lies where the trees split, and the 200 example is the model's real answer`, async () => {
      const op = doc.paths[`/models/${name}/predict`].post;
      const row = op.requestBody.content["application/json"].example as Record<string, number>;
      const values = Object.values(row);
      assert.equal(values.length, 4);
      assert.ok(new Set(values).size > 1, `not one number everywhere: ${JSON.stringify(row)}`);
      // Iris measurements: every split threshold of a tree trained on them lies in these ranges.
      const ranges = {
        sepal_length: [4.3, 7.9],
        sepal_width: [2, 4.4],
        petal_length: [1, 6.9],
        petal_width: [0.1, 2.5],
      };
      for (const [f, [lo, hi]] of Object.entries(ranges))
        assert.ok(row[f] >= lo && row[f] <= hi, `${f}=${row[f]}`);

      const real = (await post(`/models/${name}/predict`, row)).json();
      assert.deepEqual(content(op, "200"), real);
      const batch = doc.paths[`/models/${name}/predict/batch`].post;
      const instances = (batch.requestBody.content["application/json"].example as { instances: unknown[] })
        .instances;
      assert.deepEqual(
        content(batch, "200"),
        (await post(`/models/${name}/predict/batch`, { instances })).json(),
      );
      const proba = doc.paths[`/models/${name}/predict_proba`].post;
      assert.deepEqual(content(proba, "200"), (await post(`/models/${name}/predict_proba`, row)).json());
      const probs = Object.values((real as { probabilities: Record<string, number> }).probabilities);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-6, "probabilities sum to 1");
    });
  }

  it("gives each error status an example whose code answers with that status", () => {
    const statusOf = new Map(errorCatalogue().map((e) => [e.code, e.statusCode]));
    const op = doc.paths["/models/random_forest/predict"].post;
    for (const status of ["400", "404", "413", "415", "422", "503"]) {
      const ex = content(op, status) as { error: { code: string } };
      assert.equal(statusOf.get(ex.error.code), Number(status), `${status}: ${ex.error.code}`);
    }
  });

  it("the 422 example is what the server answers for a row missing its first feature", async () => {
    const op = doc.paths["/models/random_forest/predict"].post;
    const ex = content(op, "422") as {
      error: { code: string; details: { issues: { code: string; field: string }[] } };
    };
    const res = await post("/models/random_forest/predict", {
      sepal_width: 3,
      petal_length: 4,
      petal_width: 1,
    });
    assert.equal(res.statusCode, 422);
    const real = res.json().error;
    assert.equal(ex.error.code, real.code);
    assert.deepEqual(
      ex.error.details.issues.map((i) => [i.code, i.field]),
      real.details.issues.map((i: { code: string; field: string }) => [i.code, i.field]),
    );
  });

  it("tags operations by model name only", () => {
    const tags = new Set<string>();
    for (const item of Object.values(doc.paths) as Record<string, { tags?: string[] }>[])
      for (const op of Object.values(item)) for (const t of op.tags ?? []) tags.add(t);
    assert.deepEqual([...tags].sort(), ["health", "lightgbm", "models", "random_forest", "xgboost"]);
    assert.deepEqual(
      doc.tags.map((t: { name: string }) => t.name),
      ["health", "models", "random_forest", "xgboost", "lightgbm"],
    );
    assert.deepEqual(doc.paths["/models/xgboost/versions/1/predict"].post.tags, ["xgboost"]);
    assert.deepEqual(doc.paths["/predict"].post.tags, ["random_forest"]);
  });

  it("modelserve inspect --json shows the same example and answer", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(root, "bin/modelserve.js"),
      "inspect",
      rf,
      "--json",
    ]);
    const ex = JSON.parse(stdout).example;
    const op = doc.paths["/models/random_forest/predict"].post;
    assert.deepEqual(ex.row, op.requestBody.content["application/json"].example);
    assert.deepEqual(ex.prediction, (content(op, "200") as { prediction: unknown }).prediction);
    assert.deepEqual(ex.probabilities, (content(op, "200") as { probabilities: unknown }).probabilities);
  });
});
