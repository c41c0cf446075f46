import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { columnsToRows } from "../../src/schema/rows-file.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";

const fx = fileURLToPath(new URL("../fixtures/", import.meta.url));
const json = (p: string) => JSON.parse(readFileSync(join(fx, p), "utf8"));

// One fixture per runtime: the HTTP path must give what the library gave, like the CLI and the runtime.
const CASES = [
  { name: "sklearn", dir: "sklearn/1.9.1/trees-rf-wine", file: "model.joblib" },
  { name: "xgboost", dir: "xgboost/multi_softprob_wine", file: "model.json" },
  { name: "lightgbm", dir: "lightgbm/iris_multiclass", file: "model.txt" },
  { name: "onnx", dir: "onnx/skl2onnx/iris_random_forest_zipmap", file: "model.onnx" },
];

describe("every runtime over HTTP", () => {
  for (const c of CASES) {
    it(`${c.name}: /predict/batch and /predict_proba/batch answer as the library did`, async () => {
      const registry = new ModelRegistry();
      registry.register(c.name, "1", await loadModel(join(fx, c.dir, c.file)));
      const { fastify } = buildApp(registry, { logger: silent });
      const exp = json(`${c.dir}/expected.json`);
      const raw = json(`${c.dir}/inputs.json`);
      const rows = Array.isArray(raw) ? raw : columnsToRows(raw)!;
      const res = await fastify.inject({
        method: "POST",
        url: "/predict/batch",
        payload: { instances: rows },
      });
      assert.equal(res.statusCode, 200, res.body);
      // Exact JSON types: a label answered as "1" where the library predicted 1 must fail.
      assert.deepEqual(res.json().predictions, exp.predict);
      const proba = await fastify.inject({
        method: "POST",
        url: "/predict_proba/batch",
        payload: { instances: rows },
      });
      assert.equal(proba.statusCode, 200, proba.body);
      const body = proba.json();
      assert.deepEqual(body.classes, exp.classes);
      assert.equal(body.probabilities.length, rows.length);
      const tol = Math.max(exp.rel ?? 0, 1e-15);
      body.probabilities.forEach((p: Record<string, number>, i: number) => {
        body.classes.forEach((cls: unknown, j: number) => {
          const a = p[String(cls)];
          const e = exp.predict_proba[i][j];
          assert.ok(
            Math.abs(a - e) <= Math.max(exp.abs ?? 0, tol * Math.abs(e)),
            `${c.name} row ${i} class ${cls}: ${a} vs ${e}`,
          );
        });
      });
      await fastify.close();
      await registry.close();
    });
  }
});
