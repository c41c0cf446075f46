/** @module XGBoost TreeSHAP against `pred_contribs=True` of XGBoost 1.7.4, bit for bit in float32. */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../src/schema/validator.ts";
import { assertAdditive, assertContributions, explainFixtures, readFixture } from "./helpers.ts";

const root = join(explainFixtures, "xgboost");
const cases = readdirSync(root).sort();

interface Expected {
  contribs: number[][] | number[][][];
  margin: number[] | number[][];
}

describe("xgboost explain", () => {
  it("has fixtures", () => assert.ok(cases.length >= 6));
  for (const name of cases) {
    it(`${name}: pred_contribs bit for bit, and additive to the margin`, async () => {
      const m = await loadModel(join(root, name, "model.json"));
      const rows = readFixture<unknown[]>("xgboost", name, "inputs.json");
      const exp = readFixture<Expected>("xgboost", name, "expected.json");
      const c = await m.explain!(tableFromRows(m.signature, rows));
      assert.equal(c.outputSpace, "margin");
      const contribs = (exp.contribs as unknown[]).map((r) =>
        Array.isArray((r as unknown[])[0]) ? (r as number[][]) : [r as number[]],
      );
      // XGBoost's TreeSHAP is deterministic float32 arithmetic on one thread: the same bits.
      assertContributions(c, contribs, 0, name);
      const margin = (r: number, k: number) => {
        const v = exp.margin[r];
        return Array.isArray(v) ? v[k] : v;
      };
      // The float32 contributions add up to the float32 margin within float32 rounding of the sum.
      assertAdditive(c, margin, 1e-5, name);
    });
  }
});
