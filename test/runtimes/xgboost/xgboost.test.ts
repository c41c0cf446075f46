import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { parseLenientJson } from "../../../src/formats/json/lenient-json.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { expf } from "../../../src/runtimes/xgboost/expf.ts";
import { xgboostRuntime } from "../../../src/runtimes/xgboost/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { type ConformanceCase, runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const root = fileURLToPath(new URL("../../fixtures/xgboost/", import.meta.url));
const read = (d: string, f: string) => JSON.parse(readFileSync(join(root, d, f), "utf8"));

interface Expected {
  predict: unknown[];
  predict_proba?: number[][];
  classes?: number[];
  margin?: (number | number[])[];
}

const names = readdirSync(root).sort();
const cases: ConformanceCase[] = names.map((d) => {
  const info = read(d, "info.json");
  const exp: Expected = read(d, "expected.json");
  return {
    file: join(root, d, info.file),
    rows: read(d, "inputs.json"),
    predict: exp.predict,
    predictProba: exp.predict_proba,
    classes: exp.classes,
    // XGBoost is deterministic float32: bit for bit, except the scikit-learn wrapper's
    // predict_proba for multi:softmax, which runs numpy's float32 exp (≤ 2 ulp from expf).
    rel: d === "multi_softmax_iris" ? 3e-7 : 0,
    abs: 0,
  };
});

runRuntimeConformance({ runtime: xgboostRuntime, cases });

describe("xgboost runtime", () => {
  it("reproduces output_margin bit for bit on every fixture", async () => {
    for (const d of names) {
      const exp: Expected = read(d, "expected.json");
      if (!exp.margin) continue;
      const m = await loadModel(join(root, d, read(d, "info.json").file));
      const raw = await m.rawScore!(tableFromRows(m.signature, read(d, "inputs.json")));
      exp.margin.forEach((e, i) => {
        const got =
          raw.cols === 1 ? raw.data[i] : Array.from(raw.data.subarray(i * raw.cols, (i + 1) * raw.cols));
        assert.deepEqual(got, e, `${d} row ${i}`);
      });
    }
  });

  it("takes stored feature names and types into the schema, every input nullable", async () => {
    const m = await loadModel(join(root, "feature_names_types", "model.json"));
    const info = read("feature_names_types", "info.json");
    assert.deepEqual(
      m.signature.inputs.map((f) => f.name),
      info.feature_names,
    );
    assert.ok(m.signature.inputs.every((f) => f.nullable));
    const plain = await loadModel(join(root, "v17_binary_logistic", "model.json"));
    assert.equal(plain.signature.inputs[0].name, "f0");
  });

  it("accepts category names as well as codes for categorical features", async () => {
    const m = await loadModel(join(root, "categorical_binary", "model.json"));
    const color = m.signature.inputs.find((f) => f.name === "color")!;
    assert.equal(color.dtype, "category");
    assert.deepEqual(color.categories, ["red", "green", "blue"]);
    const rows: unknown[][] = read("categorical_binary", "inputs.json");
    const named = rows.map((r) => {
      const names = read("categorical_binary", "info.json").categories;
      return r.map((v, i) =>
        i === 1 && typeof v === "number" && v < 3
          ? names.color[v]
          : i === 3 && typeof v === "number" && v < 12
            ? names.city[v]
            : v,
      );
    });
    const a = await m.rawScore!(tableFromRows(m.signature, rows));
    const b = await m.rawScore!(tableFromRows(m.signature, named));
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
  });

  it("reads bare NaN and Infinity in JSON and refuses what it cannot serve", async () => {
    assert.deepEqual(parseLenientJson('{"a": [NaN, Infinity, -Infinity, "NaN"]}'), {
      a: [null, Infinity, -Infinity, "NaN"],
    });
    const model = read("binary_hinge", "model.json");
    model.learner.objective.name = "reg:unknown";
    const bytes = new TextEncoder().encode(JSON.stringify(model));
    await assert.rejects(
      xgboostRuntime.load({ fileName: "m.json", bytes }),
      (e: unknown) =>
        isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && /reg:unknown/.test(e.message),
    );
    model.learner.objective.name = "binary:logistic";
    model.learner.gradient_booster.name = "gblinear-next";
    await assert.rejects(
      xgboostRuntime.load({ fileName: "m.json", bytes: new TextEncoder().encode(JSON.stringify(model)) }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL",
    );
    // A gblinear model whose weights do not fit its features is invalid, not unsupported.
    model.learner.gradient_booster = { name: "gblinear", model: { weights: [0.5, 1] } };
    await assert.rejects(
      xgboostRuntime.load({ fileName: "m.json", bytes: new TextEncoder().encode(JSON.stringify(model)) }),
      (e: unknown) =>
        isModelServeError(e) && e.code === "MS_INVALID_MODEL" && /gblinear has 2 weights/.test(e.message),
    );
  });

  it("does not claim JSON that is not an XGBoost model", () => {
    assert.equal(xgboostRuntime.sniff(new TextEncoder().encode('{"instances": [1, 2]}'), "rows.json"), false);
  });

  it("computes expf like glibc, including near-ties where rounding exp differs", () => {
    // From XGBoost 1.7.4's own softmax on this machine (fixture v17_multi_softprob_nan, row 84).
    assert.equal(expf(Math.fround(-0.8880707025527954 - 2.420444965362549)), 0.03657042235136032);
    assert.equal(expf(0), 1);
    assert.equal(expf(100), Number.POSITIVE_INFINITY);
  });
});
