import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { auditPickle } from "../../../src/runtimes/sklearn/audit.ts";
import { sklearnRuntime } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { type ConformanceCase, runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const root = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const hostile = fileURLToPath(new URL("../../fixtures/pickle/hostile/", import.meta.url));
const read = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));

const dirs = readdirSync(root).flatMap((v) => readdirSync(join(root, v)).map((c) => join(root, v, c)));
const cases: ConformanceCase[] = dirs.map((dir) => {
  const e = read(dir, "expected.json");
  return {
    file: join(dir, read(dir, "info.json").file),
    rows: read(dir, "inputs.json"),
    predict: e.predict,
    predictProba: e.predict_proba,
    classes: e.classes,
    rel: e.rel,
    abs: e.abs,
  };
});

runRuntimeConformance({ runtime: sklearnRuntime, cases });

describe("sklearn runtime", () => {
  it("reproduces decision_function where scikit-learn has one", async () => {
    let checked = 0;
    for (const dir of dirs) {
      const e = read(dir, "expected.json");
      if (!e.decision_function) continue;
      const m = await loadModel(join(dir, read(dir, "info.json").file));
      assert.ok(m.decisionFunction, `${dir} offers decision_function`);
      const d = await m.decisionFunction!(tableFromRows(m.signature, read(dir, "inputs.json")));
      (e.decision_function as (number | number[])[]).forEach((row, i) => {
        (Array.isArray(row) ? row : [row]).forEach((x, j) => {
          const a = d.data[i * d.cols + j];
          assert.ok(Math.abs(a - x) <= Math.max(e.abs, e.rel * Math.abs(x)), `${dir} row ${i}: ${a} vs ${x}`);
        });
      });
      checked++;
    }
    assert.ok(checked >= 10);
  });

  it("takes feature names and missing-value support into the schema", async () => {
    const named = await loadModel(join(root, "1.9.1", "prep-pipeline-logreg", "model.joblib"));
    assert.equal(named.signature.inputs[0].name, "x0");
    const nan = await loadModel(join(root, "1.9.1", "trees-dt-nan", "model.joblib"));
    assert.ok(
      nan.signature.inputs.every((f) => f.nullable),
      "sklearn ≥ 1.3 trees take missing values",
    );
    const old = await loadModel(join(root, "1.2.1", "trees-dt-iris", "model.joblib"));
    assert.ok(
      old.signature.inputs.every((f) => !f.nullable),
      "1.2 trees do not",
    );
    const strings = await loadModel(join(root, "1.2.1", "trees-dt-strings", "model.joblib"));
    assert.deepEqual(strings.signature.output.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal(strings.info.frameworkVersion, "1.2.1");
  });
});

describe("hostile and broken pickles", () => {
  const expected: Record<string, { code: string; names: string[] }> = read(hostile, "expected.json");
  for (const [file, exp] of Object.entries(expected)) {
    it(`refuses ${file}${exp.code === "ANY" ? "" : ` with ${exp.code}`}`, async () => {
      const bytes = readFileSync(join(hostile, file));
      const started = performance.now();
      await assert.rejects(sklearnRuntime.load({ fileName: file, bytes }), (e: unknown) => {
        assert.ok(isModelServeError(e), `a ModelServeError, got ${e}`);
        if (exp.code !== "ANY") assert.equal(e.code, exp.code, e.message);
        for (const n of exp.names)
          assert.ok((e.details as { untrusted: string[] }).untrusted.includes(n), `names ${n}: ${e.message}`);
        return true;
      });
      // A hang guard, not a benchmark: every refusal is quick.
      assert.ok(performance.now() - started < 5000);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution");
    });
  }

  it("refuses a stack bomb of two million marks within the limits", async () => {
    const bytes = new Uint8Array(2_000_003).fill(0x28);
    bytes[0] = 0x80;
    bytes[1] = 0x04;
    bytes[bytes.length - 1] = 0x2e;
    await assert.rejects(
      sklearnRuntime.load({ fileName: "bomb.pkl", bytes }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_LIMIT_EXCEEDED",
    );
  });

  it("audits a file without building it, listing every name and the class tree", async () => {
    const bad = await auditPickle(readFileSync(join(hostile, "pipeline-hidden-global.joblib")), "p.joblib");
    assert.equal(bad.trusted, false);
    assert.deepEqual(bad.untrusted, ["posix.system"]);
    assert.ok(bad.globals.includes("sklearn.pipeline.Pipeline"));
    const good = await auditPickle(
      readFileSync(join(root, "1.2.1", "prep-pipeline-logreg", "model.joblib")),
      "ok.joblib",
    );
    assert.equal(good.trusted, true);
    assert.ok(good.objects.some((o) => o.type.endsWith("LogisticRegression") && o.path.startsWith("steps")));
  });
});
