/** @module The TypeScript API: `explainRows` and `model.explain` from the package entry point. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import heuristic from "../../examples/iris/heuristic.ts";
import { explainRows, isModelDefinition, loadDefinition, loadModel } from "../../src/index.ts";
import { explainFixtures, readFixture } from "./helpers.ts";

describe("explainRows", () => {
  it("explains LightGBM rows as pred_contrib does, per class", async () => {
    const m = await loadModel(join(explainFixtures, "lightgbm", "multiclass_iris", "model.txt"));
    const rows = readFixture<unknown[][]>("lightgbm", "multiclass_iris", "inputs.json").slice(0, 3);
    const exp = readFixture<{ contribs: number[][][] }>("lightgbm", "multiclass_iris", "expected.json");
    const { outputSpace, explanations } = await explainRows(m, rows);
    assert.equal(outputSpace, "margin");
    const names = m.signature.inputs.map((f) => f.name);
    explanations.forEach((e, r) => {
      const perClass = e.contributions as Record<string, Record<string, number>>;
      for (let k = 0; k < 3; k++) {
        const want = exp.contribs[r][k];
        const got = [
          ...names.map((n) => perClass[String(k)][n]),
          (e.base_value as Record<string, number>)[String(k)],
        ];
        for (const [j, g] of got.entries())
          assert.ok(Math.abs(g - want[j]) <= 1e-9 * Math.abs(want[j]) + 1e-15);
      }
    });
  });

  it("rejects invalid rows with MS_INVALID_INPUT and non-tree models with MS_METHOD_NOT_SUPPORTED", async () => {
    const m = await loadModel(join(explainFixtures, "xgboost", "reg_poisson", "model.json"));
    await assert.rejects(explainRows(m, [{ nope: 1 }]), { code: "MS_INVALID_INPUT" });
    assert.ok(isModelDefinition(heuristic));
    await assert.rejects(explainRows(loadDefinition(heuristic), [[5.1, 3.5, 1.4, 0.2]], "iris"), {
      code: "MS_METHOD_NOT_SUPPORTED",
    });
  });
});

describe("explain refusals", () => {
  it("refuses a tree behind a PCA (columns that mix inputs) and a logistic regression, naming what is supported", async () => {
    const pca = await loadModel(join(explainFixtures, "sklearn-refused", "pca_forest.joblib"));
    const row = Array.from({ length: 10 }, () => 0.01);
    await assert.rejects(explainRows(pca, [row], "pca"), (err: { code: string; message: string }) => {
      assert.equal(err.code, "MS_METHOD_NOT_SUPPORTED");
      assert.match(err.message, /PCA/);
      assert.match(err.message, /HistGradientBoosting/);
      return true;
    });
    const logreg = await loadModel(
      join(explainFixtures, "..", "sklearn", "1.9.1", "prep-pca-logreg", "model.joblib"),
    );
    await assert.rejects(explainRows(logreg, [logreg.signature.inputs.map(() => 0.5)], "logreg"), {
      code: "MS_METHOD_NOT_SUPPORTED",
    });
  });
});
