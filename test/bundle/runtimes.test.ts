import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createBundle } from "../../src/bundle/create-bundle.ts";
import { loadBundle } from "../../src/bundle/open-bundle.ts";
import { isModelServeError } from "../../src/errors.ts";
import { columnsToRows } from "../../src/schema/rows-file.ts";
import { modelSource, tempDir } from "../lifecycle-helpers.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const fx = (p: string) => join(repo, "test/fixtures", p);

// One model per runtime, with the inputs and outputs its own library recorded.
const CASES: {
  runtime: string;
  model: string;
  inputs: string;
  expected?: string;
  rel?: number;
  abs?: number;
}[] = [
  {
    runtime: "sklearn",
    model: join(repo, "examples/iris/models/random_forest.joblib"),
    inputs: join(repo, "examples/iris/golden/random_forest.inputs.json"),
    expected: join(repo, "examples/iris/golden/random_forest.expected.json"),
  },
  {
    runtime: "xgboost",
    model: join(repo, "examples/iris/models/xgboost.json"),
    inputs: join(repo, "examples/iris/golden/xgboost.inputs.json"),
    expected: join(repo, "examples/iris/golden/xgboost.expected.json"),
  },
  {
    runtime: "lightgbm",
    model: fx("lightgbm/iris_multiclass/model.txt"),
    inputs: fx("lightgbm/iris_multiclass/inputs.json"),
    expected: fx("lightgbm/iris_multiclass/expected.json"),
    rel: 1e-12,
  },
  {
    runtime: "onnx",
    model: fx("onnx/skl2onnx/iris_logreg_zipmap/model.onnx"),
    inputs: fx("onnx/skl2onnx/iris_logreg_zipmap/inputs.json"),
    expected: fx("onnx/skl2onnx/iris_logreg_zipmap/expected.json"),
    rel: 1e-5,
    abs: 1e-6,
  },
  {
    runtime: "typescript",
    model: join(repo, "examples/iris/heuristic.ts"),
    inputs: join(repo, "examples/iris/golden/random_forest.inputs.json"),
  },
];

describe("bundles of every runtime", () => {
  for (const c of CASES) {
    it(`${c.runtime}: bundle, load with the golden check, refuse a flipped byte`, async () => {
      const dir = tempDir(`bundle-${c.runtime}`);
      if (c.runtime === "typescript") {
        c.model = join(dir, "lin.mjs");
        writeFileSync(c.model, modelSource(2, 1));
        c.inputs = join(dir, "rows.json");
        writeFileSync(c.inputs, JSON.stringify([{ x: 1 }, { x: -3.5 }]));
      }
      const raw = JSON.parse(readFileSync(c.inputs, "utf8"));
      const inputs = join(dir, "inputs.json");
      writeFileSync(inputs, JSON.stringify(Array.isArray(raw) ? raw : columnsToRows(raw)));
      let expected: string | undefined;
      if (c.expected) {
        const e = JSON.parse(readFileSync(c.expected, "utf8"));
        expected = join(dir, "expected.json");
        writeFileSync(
          expected,
          JSON.stringify({
            predict: e.predict,
            ...(e.predict_proba ? { predict_proba: e.predict_proba } : {}),
          }),
        );
      }
      const out = join(dir, "bundle");
      const made = await createBundle(c.model, {
        name: "m",
        version: "1",
        out,
        samples: inputs,
        expected,
        rel: c.rel ?? 0,
        abs: c.abs ?? 0,
      });
      assert.equal(made.manifest.runtime, c.runtime);
      assert.equal(made.manifest.samples?.source, expected ? "training" : "modelserve");
      const loaded = await loadBundle(out);
      assert.equal(loaded.golden?.diffs.length, 0);
      assert.ok((loaded.golden?.compared ?? 0) > 0);
      await loaded.model.close?.();
      const modelFile = join(out, made.manifest.model);
      const bytes = readFileSync(modelFile);
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      writeFileSync(modelFile, bytes);
      await assert.rejects(
        loadBundle(out),
        (e: unknown) => isModelServeError(e) && e.code === "MS_BUNDLE_TAMPERED",
      );
    });
  }
});
