import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { readOnnxFile, removeZipMaps } from "../../../src/runtimes/onnx/parse-model.ts";
import { importOrt, onnxRuntime, setOrtImporter } from "../../../src/runtimes/onnx/runtime.ts";
import { columnsToRows } from "../../../src/schema/rows-file.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { type ConformanceCase, runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const root = fileURLToPath(new URL("../../fixtures/onnx/", import.meta.url));
const read = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));
const dirs = readdirSync(root).flatMap((c) => readdirSync(join(root, c)).map((d) => join(root, c, d)));

const cases: ConformanceCase[] = dirs.map((dir) => {
  const e = read(dir, "expected.json");
  const ort = read(dir, "expected_onnxruntime.json").outputs;
  // onnxruntime's own probabilities where it could return them; ZipMap models: the Python session's.
  const probaTensor = ort.probabilities ?? ort.output_probability;
  const predictProba =
    probaTensor?.data ??
    (e.predict_proba && Array.isArray(e.predict_proba[0]?.[0]) ? undefined : e.predict_proba);
  return {
    file: join(dir, "model.onnx"),
    rows: columnsToRows(read(dir, "inputs.json"))!,
    predict: e.predict,
    predictProba,
    classes: e.classes,
    // float32 graphs: labels equal, probabilities within the converters' float32 agreement.
    rel: e.rel,
    abs: e.abs,
  };
});

runRuntimeConformance({ runtime: onnxRuntime, cases });

describe("onnx runtime", () => {
  it("rewrites ZipMap outputs into probability tensors that keep the class labels", async () => {
    const bytes = readFileSync(join(root, "skl2onnx", "iris_random_forest_zipmap", "model.onnx"));
    const info = readOnnxFile(bytes);
    assert.equal(info.zipmaps.length, 1);
    assert.deepEqual(info.zipmaps[0].classes, [0, 1, 2]);
    assert.deepEqual(readOnnxFile(removeZipMaps(bytes, info.zipmaps)).zipmaps, []);
    const m = await loadModel(join(root, "skl2onnx", "iris_random_forest_zipmap", "model.onnx"));
    assert.equal(m.signature.capabilities.predictProba, true);
    assert.equal(m.info.metadata?.zipMapRewritten, true);
    await m.close?.();
  });

  it("gives several named inputs one field each, strings included", async () => {
    const m = await loadModel(
      join(root, "skl2onnx", "table_columntransformer_logreg_nozipmap", "model.onnx"),
    );
    assert.deepEqual(
      m.signature.inputs.map((f) => [f.name, f.dtype]),
      [
        ["age", "float"],
        ["income", "float"],
        ["color", "string"],
      ],
    );
    await m.close?.();
  });

  it("names tabular features from metadata_props and checks image and multi-input shapes", async () => {
    const mlp = await loadModel(join(root, "torch", "mlp_tabular", "model.onnx"));
    assert.equal(mlp.signature.inputs.length, 30);
    assert.equal(mlp.signature.inputs[0].name, "mean_radius");
    await mlp.close?.();
    const cnn = await loadModel(join(root, "torch", "cnn_digits", "model.onnx"));
    assert.deepEqual(
      cnn.signature.inputs.map((f) => [f.name, f.dtype, f.shape]),
      [["image", "tensor", [1, 8, 8]]],
    );
    assert.throws(
      () => tableFromRows(cnn.signature, [{ image: [[[0, 1]]] }]),
      (e: unknown) => isModelServeError(e) && JSON.stringify(e.details).includes("WRONG_SHAPE"),
    );
    await cnn.close?.();
    const two = await loadModel(join(root, "torch", "two_inputs", "model.onnx"));
    assert.deepEqual(
      two.signature.inputs.map((f) => [f.name, f.shape]),
      [
        ["left", [3]],
        ["right", [2]],
      ],
    );
    await two.close?.();
  });

  it("answers the same in the worker thread and inline", async () => {
    const dir = join(root, "skl2onnx", "breast_cancer_gradient_boosting_nozipmap");
    const rows = columnsToRows(read(dir, "inputs.json"))!;
    const results = [];
    for (const inference of ["worker", "inline"]) {
      const m = await loadModel(join(dir, "model.onnx"), { settings: { inference } });
      assert.equal(m.info.metadata?.inference, inference);
      const t = tableFromRows(m.signature, rows);
      results.push({ p: await m.predict(t), q: Array.from((await m.predictProba!(t)).data) });
      await m.close?.();
    }
    assert.deepEqual(results[0], results[1]);
  });

  it("says how to install onnxruntime-node when it is missing", async () => {
    const original = importOrt;
    setOrtImporter(async () => {
      throw new Error("Cannot find package 'onnxruntime-node'");
    });
    try {
      const bytes = readFileSync(join(root, "skl2onnx", "iris_logreg_zipmap", "model.onnx"));
      await assert.rejects(
        onnxRuntime.load({ fileName: "m.onnx", bytes }),
        (e: unknown) =>
          isModelServeError(e) &&
          e.code === "MS_RUNTIME_DEPENDENCY_MISSING" &&
          /npm install onnxruntime-node/.test(e.message),
      );
    } finally {
      setOrtImporter(original);
    }
  });
});
