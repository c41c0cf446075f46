/**
 * @module ONNX classifiers exported without ZipMap, with outputs named freely and labels in the graph (an MLP's
 * ArrayFeatureExtractor table, a LinearClassifier's classlabels): recognised as probabilistic classifiers whose
 * answers are onnxruntime's; float32 probabilities are allowed past 1 by the answer schema.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { probabilitiesSchema } from "../../../src/schema/json-schema.ts";
import { columnsToRows } from "../../../src/schema/rows-file.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const root = fileURLToPath(new URL("../../fixtures/onnx/nozipmap/", import.meta.url));
const read = (dir: string, f: string) => JSON.parse(readFileSync(join(root, dir, f), "utf8"));
const cases = readdirSync(root);

function close(a: number, b: number, rel: number, abs: number): boolean {
  return Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
}

describe("ONNX classifiers without ZipMap", () => {
  it("has the 10-class MLP, string labels and a renamed LinearClassifier", () => {
    assert.deepEqual(cases.sort(), ["digits_mlp_10class", "iris_mlp_string_labels", "wine_linear_renamed"]);
  });

  for (const c of cases) {
    it(`${c}: labels, classes and probabilities are onnxruntime's`, async () => {
      const e = read(c, "expected.json");
      const info = read(c, "info.json");
      const m = await loadModel(join(root, c, "model.onnx"));
      try {
        assert.equal(m.signature.output.task, "classification");
        assert.deepEqual(m.signature.output.classes, e.classes);
        assert.equal(m.signature.output.probabilityType, "float32");
        assert.equal(m.signature.capabilities.predictProba, true);
        // The outputs carry the exporter's names, not label/probabilities.
        assert.ok(!info.outputs.includes("label") && !info.outputs.includes("probabilities"));
        const table = tableFromRows(m.signature, columnsToRows(read(c, "inputs.json"))!);
        const out = await m.predict(table);
        assert.equal(out.kind, "labels");
        assert.deepEqual(out.kind === "labels" ? out.labels : [], e.predict);
        const p = await m.predictProba!(table);
        assert.equal(p.cols, e.classes.length);
        const want = e.predict_proba as number[][];
        for (let r = 0; r < want.length; r++)
          for (let k = 0; k < p.cols; k++)
            assert.ok(close(p.data[r * p.cols + k], want[r][k], e.rel, e.abs), `row ${r} class ${k}`);
      } finally {
        await m.close?.();
      }
    });
  }

  it("the answer schema of a float32 model accepts 1.0000001; a float64 model keeps maximum 1", async () => {
    const m = await loadModel(join(root, "digits_mlp_10class", "model.onnx"));
    await m.close?.();
    const ajv = new Ajv({ strict: false });
    const row = Object.fromEntries(
      m.signature.output.classes!.map((c, i) => [String(c), i === 0 ? 1.0000001 : 0]),
    );
    const float32 = ajv.compile(probabilitiesSchema(m.signature));
    assert.equal(float32(row), true, JSON.stringify(float32.errors));
    const float64 = ajv.compile(
      probabilitiesSchema({ ...m.signature, output: { ...m.signature.output, probabilityType: "float64" } }),
    );
    assert.equal(float64(row), false);
    assert.equal(float64({ ...row, "0": 1 }), true);
  });
});
