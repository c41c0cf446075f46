/** @module scikit-learn TreeSHAP against shap 0.51's TreeExplainer (scikit-learn 1.9.1), within 1e-9 relative. */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../src/schema/validator.ts";
import { assertAdditive, assertContributions, explainFixtures, readFixture } from "./helpers.ts";

const root = join(explainFixtures, "sklearn");
const cases = readdirSync(root).sort();

interface Expected {
  contribs: number[][][];
  output: number[][];
  output_space: string;
}

describe("scikit-learn explain", () => {
  it("has fixtures", () => assert.ok(cases.length >= 10));
  for (const name of cases) {
    it(`${name}: shap values within 1e-9, additive to the model output`, async () => {
      const m = await loadModel(join(root, name, "model.joblib"));
      const rows = readFixture<unknown[]>("sklearn", name, "inputs.json");
      const exp = readFixture<Expected>("sklearn", name, "expected.json");
      const table = tableFromRows(m.signature, rows);
      const c = await m.explain!(table);
      assert.equal(c.outputSpace, exp.output_space);
      assertContributions(c, exp.contribs, 1e-9, name);
      assertAdditive(c, (r, k) => exp.output[r][k], 1e-9, name);
      // And to this runtime's own answer for the same rows.
      const own =
        c.outputSpace === "probability"
          ? await m.predictProba!(table)
          : m.decisionFunction
            ? await m.decisionFunction(table)
            : undefined;
      if (own) assertAdditive(c, (r, k) => own.data[r * own.cols + k], 1e-9, `${name} (own output)`);
      else {
        const p = await m.predict(table);
        assert.equal(p.kind, "values");
        if (p.kind === "values") assertAdditive(c, (r) => p.values.data[r], 1e-9, `${name} (own prediction)`);
      }
    });
  }
});

describe("scikit-learn explain where shap refuses", () => {
  it("multi-class GradientBoostingClassifier: per class, equal to subset-enumeration Shapley values", async () => {
    const dir = ["sklearn-enumeration", "gradient_boosting_classifier_multiclass"] as const;
    const m = await loadModel(join(explainFixtures, ...dir, "model.joblib"));
    const rows = readFixture<unknown[]>(...dir, "inputs.json");
    const exp = readFixture<Expected>(...dir, "expected.json");
    const table = tableFromRows(m.signature, rows);
    const c = await m.explain!(table);
    assert.equal(c.outputSpace, "raw");
    assert.deepEqual(c.outputs, [0, 1, 2]);
    assertContributions(c, exp.contribs, 1e-9, "gb multiclass");
    const own = await m.decisionFunction!(table);
    assertAdditive(c, (r, k) => own.data[r * own.cols + k], 1e-9, "gb multiclass (own decision function)");
  });
});
