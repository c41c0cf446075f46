/** @module `modelserve predict --explain`: one column per feature, the library's values, as CSV and JSONL. */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "../temp-dir.ts";
import { explainFixtures, readFixture } from "./helpers.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const dir = tempDir("explain-cli");

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("modelserve predict --explain", () => {
  it("writes XGBoost's pred_contribs as one CSV column per feature, with the base value", async () => {
    const fx = join(explainFixtures, "xgboost", "reg_squarederror_nan");
    const rows = readFixture<unknown[][]>("xgboost", "reg_squarederror_nan", "inputs.json");
    const exp = readFixture<{ contribs: number[][] }>("xgboost", "reg_squarederror_nan", "expected.json");
    const input = join(dir, "xgb.json");
    writeFileSync(input, JSON.stringify(rows));
    const out = join(dir, "xgb.csv");
    const r = await cli("predict", join(fx, "model.json"), "-i", input, "-o", out, "--explain");
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    const header = lines[0].split(",");
    const F = exp.contribs[0].length - 1;
    assert.deepEqual(header, [
      "prediction",
      ...Array.from({ length: F }, (_, i) => `contrib_f${i}`),
      "base_value",
    ]);
    assert.equal(lines.length, rows.length + 1);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(",").map(Number);
      // Decimal text of a float32 value read back as a double gives the same value.
      assert.deepEqual(cells.slice(1), exp.contribs[i], `row ${i}`);
    });
  });

  it("writes per-class columns for a random forest in JSONL", async () => {
    const fx = join(explainFixtures, "sklearn", "random_forest_classifier_iris");
    const rows = readFixture<unknown[][]>("sklearn", "random_forest_classifier_iris", "inputs.json");
    const exp = readFixture<{ contribs: number[][][] }>(
      "sklearn",
      "random_forest_classifier_iris",
      "expected.json",
    );
    const input = join(dir, "rf.json");
    writeFileSync(input, JSON.stringify(rows.slice(0, 4)));
    const out = join(dir, "rf.jsonl");
    const r = await cli("predict", join(fx, "model.joblib"), "-i", input, "-o", out, "--explain");
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    lines.forEach((l, i) => {
      for (let k = 0; k < 3; k++) {
        const want = exp.contribs[i][k];
        const got = [0, 1, 2, 3].map((j) => l.explanation[`contrib_${k}_x${j}`]);
        got.push(l.explanation[`base_value_${k}`]);
        for (const [j, g] of got.entries())
          assert.ok(Math.abs(g - want[j]) <= 1e-12, `row ${i} class ${k} col ${j}: ${g} vs ${want[j]}`);
      }
    });
  });

  it("fails with MS_METHOD_NOT_SUPPORTED for a model that is not a tree", async () => {
    const input = join(dir, "iris.json");
    writeFileSync(input, JSON.stringify([[5.1, 3.5, 1.4, 0.2]]));
    const r = await cli("predict", join(root, "examples/iris/heuristic.ts"), "-i", input, "--explain");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /MS_METHOD_NOT_SUPPORTED/);
  });
});
