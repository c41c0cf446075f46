/**
 * @module Explanations through scikit-learn Pipelines: shap's values of the final estimator, summed from
 * encoded columns back to each raw input (scalers, imputers, one-hot and ordinal encoders,
 * ColumnTransformer, a TF-IDF text field), within 1e-9 relative and additive to the model's output.
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../src/schema/validator.ts";
import { assertAdditive, assertContributions, explainFixtures, readFixture } from "./helpers.ts";

const root = join(explainFixtures, "sklearn-pipelines");
const cases = readdirSync(root).sort();

describe("explain through a Pipeline", () => {
  it("has fixtures", () => assert.ok(cases.length >= 4));
  for (const name of cases) {
    it(`${name}: contributions per raw input within 1e-9 of shap, additive`, async () => {
      const m = await loadModel(join(root, name, "model.joblib"));
      const rows = readFixture<unknown[]>("sklearn-pipelines", name, "inputs.json");
      const exp = readFixture<{ contribs: number[][][]; output: number[][]; inputs: string[] }>(
        "sklearn-pipelines",
        name,
        "expected.json",
      );
      const c = await m.explain!(tableFromRows(m.signature, rows));
      assert.deepEqual(c.features, exp.inputs);
      assertContributions(c, exp.contribs, 1e-9, name);
      assertAdditive(c, (r, k) => exp.output[r][k], 1e-9, name);
    });
  }
});

describe("explain through a Pipeline ending in a pickled XGBClassifier", () => {
  it("sums the booster's pred_contribs of one-hot columns onto their raw column", async () => {
    const m = await loadModel(join(explainFixtures, "xgboost-pipeline", "model.joblib"));
    const rows = readFixture<unknown[]>("xgboost-pipeline", "inputs.json");
    const exp = readFixture<{ contribs: number[][][]; output: number[][]; inputs: string[] }>(
      "xgboost-pipeline",
      "expected.json",
    );
    const c = await m.explain!(tableFromRows(m.signature, rows));
    assert.deepEqual(c.features, exp.inputs);
    assert.deepEqual(c.outputs, [1]);
    // The reference sums float32 contributions in float64 (as modelserve does): the same up to summation order.
    assertContributions(c, exp.contribs, 1e-6, "xgboost pipeline");
    assertAdditive(c, (r, k) => exp.output[r][k], 1e-5, "xgboost pipeline");
  });
});

describe("explain a HistGradientBoosting model with categorical splits", () => {
  it("equals exact Shapley values by subset enumeration, traced back through its preprocessor", async () => {
    const dir = join(explainFixtures, "sklearn-categorical", "hgb_regressor_categorical");
    const m = await loadModel(join(dir, "model.joblib"));
    const rows = readFixture<unknown[]>("sklearn-categorical", "hgb_regressor_categorical", "inputs.json");
    const exp = readFixture<{ contribs: number[][][]; output: number[][]; inputs: string[] }>(
      "sklearn-categorical",
      "hgb_regressor_categorical",
      "expected.json",
    );
    const c = await m.explain!(tableFromRows(m.signature, rows));
    assert.deepEqual(c.features, exp.inputs);
    assertContributions(c, exp.contribs, 1e-9, "hgb categorical");
    assertAdditive(c, (r, k) => exp.output[r][k], 1e-9, "hgb categorical");
  });
});
