/** @module LightGBM TreeSHAP against `pred_contrib=True` of LightGBM 4.7, within 1e-9 relative. */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../src/schema/validator.ts";
import { assertAdditive, assertContributions, explainFixtures, readFixture } from "./helpers.ts";

const root = join(explainFixtures, "lightgbm");
const cases = readdirSync(root).sort();

describe("lightgbm explain", () => {
  it("has fixtures", () => assert.ok(cases.length >= 6));
  for (const name of cases) {
    it(`${name}: pred_contrib within 1e-9, additive to the raw score`, async () => {
      const m = await loadModel(join(root, name, "model.txt"));
      const rows = readFixture<unknown[]>("lightgbm", name, "inputs.json");
      const exp = readFixture<{ contribs: number[][][]; raw: number[][] }>("lightgbm", name, "expected.json");
      const table = tableFromRows(m.signature, rows);
      const c = await m.explain!(table);
      assertContributions(c, exp.contribs, 1e-9, name);
      const raw = await m.rawScore!(table);
      assertAdditive(c, (r, k) => raw.data[r * raw.cols + k], 1e-12, name);
      assertAdditive(c, (r, k) => exp.raw[r][k], 1e-9, `${name} (LightGBM's raw score)`);
    });
  }
});
