/**
 * @module `modelserve predict --proba` on multi-output classifiers: JSON gives `classes` per output and, per row,
 * one probability list per output; JSON Lines one map per output; CSV one `proba_<output>_<class>` column per
 * output and class (outputs named by label for a multilabel one-vs-rest). Values are scikit-learn's (fixtures).
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "../temp-dir.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const fx = join(root, "test/fixtures/sklearn/1.9.1");
const dir = tempDir("multi");
const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));

interface Expected {
  rel: number;
  abs: number;
  predict: number[][];
  predict_proba_outputs: number[][][];
  output_classes: number[][];
}

const near = (a: number, e: number, x: Expected, what: string) =>
  assert.ok(Math.abs(a - e) <= Math.max(x.abs, x.rel * Math.abs(e)), `${what}: ${a} vs ${e}`);

async function predict(model: string, out: string): Promise<void> {
  await run(
    process.execPath,
    [
      bin,
      "predict",
      join(fx, model, "model.joblib"),
      "--input",
      join(fx, model, "inputs.json"),
      "--output",
      out,
      "--proba",
    ],
    { cwd: root },
  );
}

describe("modelserve predict --proba on multi-output classifiers", () => {
  for (const model of ["multi-moc-proba-logreg-wine", "multi-cc-proba-logreg-bc"]) {
    const x: Expected = read(join(fx, model, "expected.json"));

    it(`${model}: JSON output, per output`, async () => {
      const out = join(dir, `${model}.json`);
      await predict(model, out);
      const body = read(out);
      assert.deepEqual(body.predictions, x.predict);
      assert.deepEqual(body.classes, x.output_classes);
      for (const [r, row] of (body.probabilities as number[][][]).entries())
        for (const [o, p] of row.entries())
          for (const [j, a] of p.entries())
            near(a, x.predict_proba_outputs[o][r][j], x, `${model} ${r}/${o}/${j}`);
      assert.equal(body.probabilities.length, x.predict.length);
    });

    it(`${model}: JSON Lines output, one map per output`, async () => {
      const out = join(dir, `${model}.jsonl`);
      await predict(model, out);
      const lines = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, x.predict.length);
      lines.forEach((l, r) => {
        assert.deepEqual(l.prediction, x.predict[r]);
        (l.probabilities as Record<string, number>[]).forEach((m, o) => {
          assert.deepEqual(Object.keys(m), x.output_classes[o].map(String));
          for (const [j, c] of x.output_classes[o].entries())
            near(m[String(c)], x.predict_proba_outputs[o][r][j], x, `${model} ${r}/${o}`);
        });
      });
    });
  }

  it("CSV output: one column per output and class, outputs of a multilabel OvR named by label", async () => {
    const model = "multi-ovr-multilabel-gnb-wine";
    const x: Expected = read(join(fx, model, "expected.json"));
    const out = join(dir, "multilabel.csv");
    await predict(model, out);
    const [header, ...rows] = readFileSync(out, "utf8").trim().split("\n");
    const names = header.split(",");
    const want = x.output_classes.flatMap((cs, o) => cs.map((c) => `proba_${o}_${c}`));
    assert.deepEqual(names.slice(-want.length), want);
    assert.equal(rows.length, x.predict.length);
    rows.forEach((line, r) => {
      const cells = line.split(",").slice(-want.length).map(Number);
      let k = 0;
      x.output_classes.forEach((cs, o) => {
        for (let j = 0; j < cs.length; j++)
          near(cells[k++], x.predict_proba_outputs[o][r][j], x, `csv ${r}/${o}/${j}`);
      });
    });
  });

  it("refuses --proba for a multi-output classifier without probabilities, saying why", async () => {
    const model = "multi-ovr-multilabel-linearsvc-pipeline";
    await assert.rejects(
      run(
        process.execPath,
        [
          bin,
          "predict",
          join(fx, model, "model.joblib"),
          "--input",
          join(fx, model, "inputs.json"),
          "--proba",
        ],
        {
          cwd: root,
        },
      ),
      (e: { stderr: string }) =>
        /MS_METHOD_NOT_SUPPORTED/.test(e.stderr) && /without probabilities/.test(e.stderr),
    );
  });
});
