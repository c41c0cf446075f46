/**
 * @module Rows as scikit-learn takes them: a one-input model (a text pipeline) scored from bare values over
 * HTTP, through the validator and from JSON/JSONL/CSV files; CSV columns taken by position when the header
 * does not name a model fitted without feature names. Expected answers are scikit-learn's own (fixtures).
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { compileValidator } from "../../src/schema/validator.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const fx = join(root, "test/fixtures/sklearn/1.9.1");
const dir = tempDir("bare");
const json = (p: string) => JSON.parse(readFileSync(p, "utf8"));

const TEXT = join(fx, "prep-text-tfidf-logreg");
const texts = (json(join(TEXT, "inputs.json")) as string[][]).map((r) => r[0]);
const textExpected = json(join(TEXT, "expected.json")) as {
  predict: number[];
  predict_proba: number[][];
  rel: number;
  abs: number;
};

/** Whether two probability tables agree within the fixture's tolerance (scikit-learn's BLAS may sum in another order). */
function closeRows(got: number[][], want: number[][], rel: number, abs: number): boolean {
  return (
    got.length === want.length &&
    got.every(
      (r, i) =>
        r.length === want[i].length &&
        r.every(
          (x, j) =>
            Math.abs(x - want[i][j]) <= Math.max(abs, rel * Math.max(Math.abs(x), Math.abs(want[i][j]))),
        ),
    )
  );
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("bare values for a one-input model", () => {
  it("the validator takes bare strings and {features: string} like one-element rows", async () => {
    const m = await loadModel(join(TEXT, "model.joblib"));
    const v = compileValidator(m.signature);
    const bare = v.toTable(texts, "instances");
    const wrapped = v.toTable(
      texts.map((t) => ({ features: t })),
      "instances",
    );
    assert.deepEqual(bare.strings[0], texts);
    assert.deepEqual(wrapped.strings[0], texts);
    const res = await m.predict(bare);
    assert.equal(res.kind, "labels");
    assert.deepEqual(res.kind === "labels" ? res.labels : [], textExpected.predict);
  });

  it("a bare value for a model with several inputs is refused with a clear issue", async () => {
    const m = await loadModel(join(fx, "trees-rf-wine", "model.joblib"));
    assert.throws(
      () => compileValidator(m.signature).toTable(["5.1"], "instances"),
      (e: { code: string; details: { issues: { code: string; message: string }[] } }) =>
        e.code === "MS_INVALID_INPUT" && e.details.issues[0].code === "ROW_NOT_OBJECT",
    );
  });

  it("HTTP: {instances: [text, …]} and {features: text} answer as scikit-learn did", async () => {
    const registry = new ModelRegistry();
    registry.register("text", "1", await loadModel(join(TEXT, "model.joblib")));
    const { fastify } = buildApp(registry, { logger: silent });
    const batch = await fastify.inject({
      method: "POST",
      url: "/predict/batch",
      payload: { instances: texts },
    });
    assert.equal(batch.statusCode, 200, batch.body);
    assert.deepEqual(batch.json().predictions, textExpected.predict);
    const one = await fastify.inject({ method: "POST", url: "/predict", payload: { features: texts[1] } });
    assert.equal(one.statusCode, 200, one.body);
    assert.equal(one.json().prediction, textExpected.predict[1]);
    const bad = await fastify.inject({ method: "POST", url: "/predict", payload: { features: { a: 1 } } });
    assert.equal(bad.statusCode, 422, bad.body);
    assert.equal(bad.json().error.code, "MS_INVALID_INPUT");
    await fastify.close();
  });
});

describe("bare values with both scikit-learn versions, over /predict/batch and KServe V1", () => {
  for (const version of ["1.2.1", "1.9.1"]) {
    it(`a text pipeline from ${version} answers bare strings as scikit-learn did`, async () => {
      const dirOf = join(root, "test/fixtures/sklearn", version, "prep-text-tfidf-logreg");
      const rows = (json(join(dirOf, "inputs.json")) as string[][]).map((r) => r[0]);
      const want = (json(join(dirOf, "expected.json")) as { predict: unknown[] }).predict;
      const registry = new ModelRegistry();
      registry.register("text", "1", await loadModel(join(dirOf, "model.joblib")));
      const { fastify } = buildApp(registry, { logger: silent });
      const batch = await fastify.inject({
        method: "POST",
        url: "/predict/batch",
        payload: { instances: rows },
      });
      assert.equal(batch.statusCode, 200, batch.body);
      assert.deepEqual(batch.json().predictions, want);
      const v1 = await fastify.inject({
        method: "POST",
        url: "/v1/models/text:predict",
        payload: { instances: rows },
      });
      assert.equal(v1.statusCode, 200, v1.body);
      assert.deepEqual(v1.json().predictions, want);
      await fastify.close();
    });
  }
});

describe("modelserve predict with bare rows and positional CSV", () => {
  it("scores a JSON array of strings, JSON Lines of strings and a one-column CSV", async () => {
    const asJson = join(dir, "texts.json");
    writeFileSync(asJson, JSON.stringify(texts));
    const asJsonl = join(dir, "texts.jsonl");
    writeFileSync(asJsonl, `${texts.map((t) => JSON.stringify(t)).join("\n")}\n`);
    const asCsv = join(dir, "texts.csv");
    const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;
    writeFileSync(asCsv, `review\n${texts.map(quote).join("\n")}\n`);
    for (const input of [asJson, asJsonl, asCsv]) {
      const out = join(dir, "out.json");
      const r = await cli("predict", join(TEXT, "model.joblib"), "-i", input, "-o", out, "--proba");
      assert.equal(r.code, 0, r.stderr);
      const got = json(out);
      assert.deepEqual(got.predictions, textExpected.predict, input);
      assert.ok(
        closeRows(got.probabilities, textExpected.predict_proba, textExpected.rel, textExpected.abs),
        input,
      );
      // The CSV's header "review" is not the input's name: one warning, columns taken by position.
      const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
      assert.equal(warnings.length, input === asCsv ? 1 : 0, r.stderr);
    }
  });

  for (const version of ["1.2.1", "1.9.1"]) {
    it(`a model fitted without feature names takes a CSV with other header names by position (scikit-learn ${version})`, async () => {
      const wine = join(root, "test/fixtures/sklearn", version, "trees-rf-wine");
      const model = join(wine, "model.joblib");
      const rows = json(join(wine, "inputs.json")) as number[][];
      const exp = json(join(wine, "expected.json")) as { predict: number[] };
      const header = rows[0].map((_, i) => `col_${i}`);
      const good = join(dir, `wine-${version}.csv`);
      writeFileSync(good, `${header.join(",")}\n${rows.map((r) => r.join(",")).join("\n")}\n`);
      const out = join(dir, `wine-out-${version}.json`);
      const r = await cli("predict", model, "-i", good, "-o", out);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(out).predictions, exp.predict);
      assert.match(r.stderr, /warning: the CSV header does not name the model's inputs/);
      const short = join(dir, `wine-short-${version}.csv`);
      writeFileSync(
        short,
        `${header.slice(1).join(",")}\n${rows.map((r) => r.slice(1).join(",")).join("\n")}\n`,
      );
      const bad = await cli("predict", model, "-i", short, "-o", out);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /the CSV header has 12 (feature )?columns .* but the model takes 13 inputs/);
      assert.match(bad.stderr, /MS_/);
    });
  }
});
