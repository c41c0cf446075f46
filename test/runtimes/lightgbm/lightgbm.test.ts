import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { lightgbmRuntime } from "../../../src/runtimes/lightgbm/runtime.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { type ConformanceCase, runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const root = fileURLToPath(new URL("../../fixtures/lightgbm/", import.meta.url));
const read = (d: string, f: string) => JSON.parse(readFileSync(join(root, d, f), "utf8"));
const names = readdirSync(root).sort();

const cases: ConformanceCase[] = names.map((d) => {
  const exp = read(d, "expected.json");
  return {
    file: join(root, d, "model.txt"),
    rows: read(d, "inputs.json"),
    predict: exp.predict,
    predictProba: exp.predict_proba,
    classes: exp.classes,
    // Bit for bit: LightGBM sums in double and its transforms call glibc's exp, which libmExp
    // reproduces. Only xentlambda's log1p (V8's, not glibc's) may differ in the last bit.
    ...(d === "v4_xentlambda" ? { rel: 0, abs: 0 } : { rel: 0, abs: 0 }),
  };
});

runRuntimeConformance({ runtime: lightgbmRuntime, cases });

describe("lightgbm runtime", () => {
  it("reproduces raw scores bit for bit on every fixture", async () => {
    for (const d of names) {
      const exp = read(d, "expected.json");
      const m = await loadModel(join(root, d, "model.txt"));
      const raw = await m.rawScore!(tableFromRows(m.signature, read(d, "inputs.json")));
      (exp.raw as (number | number[])[]).forEach((r, i) => {
        const got =
          raw.cols === 1 ? raw.data[i] : Array.from(raw.data.subarray(i * raw.cols, (i + 1) * raw.cols));
        assert.deepEqual(got, r, `${d} row ${i}`);
      });
    }
  });

  it("takes feature names, ranges and category lists into the schema", async () => {
    const m = await loadModel(join(root, "synthetic_categorical_nan_binary", "model.txt"));
    const cat = m.signature.inputs.find((f) => f.dtype === "category");
    assert.ok(cat?.categories && cat.categories.length > 0, "a categorical feature lists its categories");
    assert.equal(cat.allowUnknownCategories, true);
    const iris = await loadModel(join(root, "iris_multiclass", "model.txt"));
    assert.deepEqual(
      iris.signature.inputs.map((f) => f.name),
      ["sepal_length", "sepal_width", "petal_length", "petal_width"],
    );
    assert.match(iris.signature.inputs[0].description ?? "", /training range \[4\.3/);
    assert.ok(iris.signature.inputs.every((f) => f.nullable));
  });

  it("refuses unknown objectives at load, and truncated files", async () => {
    const text = readFileSync(join(root, "diabetes_regression", "model.txt"), "utf8");
    const bytes = new TextEncoder().encode(text.replace(/^objective=.*$/m, "objective=mystery"));
    await assert.rejects(
      lightgbmRuntime.load({ fileName: "m.txt", bytes }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && /mystery/.test(e.message),
    );
    const cut = new TextEncoder().encode(text.slice(0, text.indexOf("end of trees")));
    await assert.rejects(
      lightgbmRuntime.load({ fileName: "m.txt", bytes: cut }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_MODEL",
    );
  });

  it("does not claim other text files", () => {
    assert.equal(lightgbmRuntime.sniff(new TextEncoder().encode("hello\nworld"), "notes.txt"), false);
  });
});
