import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/config.ts";
import { deploy } from "../../src/deploy.ts";
import { silent } from "../helpers.ts";

const dir = fileURLToPath(new URL("../../examples/iris/", import.meta.url));
const config = `${dir}modelserve.json`;
const golden = (m: string, kind: "inputs" | "expected") =>
  JSON.parse(readFileSync(`${dir}golden/${m}.${kind}.json`, "utf8"));

describe("the bundled iris example", () => {
  it("serves the heuristic, a decision tree, a random forest and XGBoost side by side, each as its library answered", async () => {
    const svc = await deploy([], { configFile: config, env: {}, port: 0, logger: silent });
    try {
      assert.deepEqual(svc.registry.names(), ["heuristic", "decision_tree", "random_forest", "xgboost"]);
      assert.equal(svc.registry.defaultModel(), "heuristic");
      for (const m of ["decision_tree", "random_forest", "xgboost"]) {
        const exp = golden(m, "expected");
        const res = await svc.app.inject({
          method: "POST",
          url: `/models/${m}/predict/batch`,
          payload: { instances: golden(m, "inputs") },
        });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.deepEqual(body.predictions, exp.predict, m);
        const classes = Object.keys(body.probabilities[0]);
        body.probabilities.forEach((p: Record<string, number>, i: number) => {
          assert.deepEqual(
            classes.map((c) => p[c]),
            exp.predict_proba[i],
            `${m} row ${i}`,
          );
        });
      }
    } finally {
      await svc.close();
    }
  });

  it("switches the model behind /predict by MODELSERVE_DEFAULT_MODEL", async () => {
    assert.equal(
      loadConfig({ file: config, env: { MODELSERVE_DEFAULT_MODEL: "random_forest" } }).defaultModel,
      "random_forest",
    );
    const svc = await deploy([], {
      configFile: config,
      env: { MODELSERVE_DEFAULT_MODEL: "random_forest" },
      port: 0,
      logger: silent,
    });
    try {
      const res = await svc.app.inject({
        method: "POST",
        url: "/predict",
        payload: { features: [6.3, 2.8, 5.1, 1.5] },
      });
      assert.equal(res.json().model, "random_forest");
    } finally {
      await svc.close();
    }
  });
});
