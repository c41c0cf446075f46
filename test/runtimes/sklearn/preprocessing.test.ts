/** @module Tests of the scikit-learn preprocessing builders against fixtures made by scikit-learn itself. */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import type { PyObject, PyValue } from "../../../src/formats/pickle/py-objects.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import type { BuildContext } from "../../../src/runtimes/sklearn/estimator.ts";
import { builders as PREPROCESSING_BUILDERS } from "../../../src/runtimes/sklearn/estimators/preprocessing/index.ts";
import { sklearnRuntime } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { type ConformanceCase, runRuntimeConformance } from "../../conformance/runtime-suite.ts";

const root = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const read = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));

const dirs = readdirSync(root)
  .filter((v) => /^\d/.test(v))
  .flatMap((v) =>
    readdirSync(join(root, v))
      .filter((c) => c.startsWith("prep-") || c.startsWith("comp-"))
      .map((c) => join(root, v, c)),
  );

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

describe("sklearn preprocessing", () => {
  it("has fixtures from both scikit-learn versions", () => {
    const versions = new Set(dirs.map((d) => d.split(/[\\/]/).at(-2)));
    assert.ok(versions.has("1.2.1") && versions.has("1.9.1"), [...versions].join(","));
    assert.ok(dirs.length >= 30, `${dirs.length} cases`);
  });

  for (const dir of dirs) {
    const e = read(dir, "expected.json");
    if (!e.transform) continue;
    it(`transforms as scikit-learn did: ${dir.split(/[\\/]/).slice(-2).join("/")}`, async () => {
      const m = await loadModel(join(dir, read(dir, "info.json").file));
      assert.ok(m.transform, "transform is offered");
      const rows = read(dir, "inputs.json");
      const t = await m.transform!(tableFromRows(m.signature, rows));
      const want = e.transform as (number | null)[][];
      assert.equal(t.rows, want.length);
      assert.equal(t.cols, want[0].length);
      want.forEach((row, i) => {
        row.forEach((x, j) => {
          const a = t.data[i * t.cols + j];
          const ref = x === null ? Number.NaN : x;
          if (Number.isNaN(ref)) assert.ok(Number.isNaN(a), `row ${i} col ${j}: ${a} vs NaN`);
          else
            assert.ok(
              Math.abs(a - ref) <= Math.max(e.abs, e.rel * Math.abs(ref)),
              `row ${i} col ${j}: ${a} vs ${ref}`,
            );
        });
      });
    });
  }

  it("makes inputs nullable when an imputer fills them, not otherwise", async () => {
    for (const v of ["1.2.1", "1.9.1"]) {
      const imp = await loadModel(join(root, v, "prep-imputer-logreg", "model.joblib"));
      assert.ok(
        imp.signature.inputs.every((f) => f.nullable),
        `${v} imputer pipeline`,
      );
      const pca = await loadModel(join(root, v, "prep-pca-logreg", "model.joblib"));
      assert.ok(
        pca.signature.inputs.every((f) => !f.nullable),
        `${v} PCA pipeline`,
      );
    }
  });

  it("derives a DataFrame's schema through Pipeline and ColumnTransformer", async () => {
    for (const v of ["1.2.1", "1.9.1"]) {
      const m = await loadModel(join(root, v, "prep-ct-frame-logreg", "model.joblib"));
      const byName = new Map(m.signature.inputs.map((f) => [f.name, f]));
      assert.deepEqual([...byName.keys()], ["age", "income", "city", "plan", "score"]);
      assert.ok(
        byName.get("age")?.nullable && byName.get("income")?.nullable,
        "imputed columns are nullable",
      );
      assert.equal(byName.get("score")?.nullable, false);
      const city = byName.get("city");
      assert.equal(city?.dtype, "category");
      assert.deepEqual(city?.categories, ["brest", "lyon", "nice", "paris"]);
      assert.equal(city?.allowUnknownCategories, true, "handle_unknown=ignore");
      // An unseen city is an all-zero one-hot block, as in scikit-learn: the answer is still a probability.
      const p = await m.predictProba!(tableFromRows(m.signature, [[30, null, "rome", "pro", 0.5]]));
      assert.ok(Math.abs(p.data[0] + p.data[1] - 1) < 1e-12);
      const strict = await loadModel(join(root, v, "prep-ct-frame-drop-logreg", "model.joblib"));
      assert.equal(strict.signature.inputs[2].allowUnknownCategories, false, "handle_unknown=error");
      const ord = await loadModel(join(root, v, "prep-ct-ordinal-logreg", "model.joblib"));
      assert.equal(ord.signature.inputs[2].dtype, "category");
      assert.equal(ord.signature.inputs[2].allowUnknownCategories, true, "use_encoded_value");
      const q = await ord.predictProba!(tableFromRows(ord.signature, [[30, 1000, "rome", "pro", 0.5]]));
      assert.ok(Math.abs(q.data[0] + q.data[1] - 1) < 1e-12);
    }
  });

  it("gives a text pipeline one string input named text", async () => {
    for (const v of ["1.2.1", "1.9.1"]) {
      const m = await loadModel(join(root, v, "prep-text-count-logreg", "model.joblib"));
      assert.deepEqual(m.signature.inputs, [{ name: "text", dtype: "string", nullable: false }]);
    }
  });

  it("refuses unsupported options at build time, naming them", () => {
    const dict = (entries: [string, PyValue][]) => ({
      kind: "dict" as const,
      map: new Map(entries),
      otherEntries: [],
    });
    const obj = (name: string, entries: [string, PyValue][]): PyObject => ({
      kind: "object",
      module: "sklearn.preprocessing._data",
      name,
      args: [],
      state: dict(entries),
    });
    const ctx: BuildContext = {
      file: "m.joblib",
      build: () => {
        throw new Error("not nested");
      },
    };
    assert.throws(
      () =>
        PREPROCESSING_BUILDERS.FunctionTransformer(
          obj("FunctionTransformer", [["func", { kind: "global", module: "numpy", name: "frompyfunc" }]]),
          ctx,
        ),
      (e: unknown) =>
        isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && /numpy\.frompyfunc/.test(e.message),
    );
    for (const [k, v] of [
      ["analyzer", { kind: "object", module: "m", name: "my_analyzer", args: [], state: null }],
      ["token_pattern", "\\S+"],
      ["tokenizer", { kind: "object", module: "m", name: "tok", args: [], state: null }],
    ] as [string, PyValue][]) {
      assert.throws(
        () =>
          PREPROCESSING_BUILDERS.CountVectorizer(
            obj("CountVectorizer", [
              [k, v],
              ["ngram_range", { kind: "tuple", items: [1, 1] }],
            ]),
            ctx,
          ),
        (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL",
        k,
      );
    }
    assert.throws(
      () => PREPROCESSING_BUILDERS.Normalizer(obj("Normalizer", [["norm", "l3"]]), ctx),
      (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && /norm=l3/.test(e.message),
    );
    assert.throws(
      () =>
        PREPROCESSING_BUILDERS.SimpleImputer(
          obj("SimpleImputer", [
            ["statistics_", [1, 2]],
            ["missing_values", "?"],
          ]),
          ctx,
        ),
      (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL",
    );
    assert.throws(
      () =>
        PREPROCESSING_BUILDERS.PolynomialFeatures(
          obj("PolynomialFeatures", [
            ["n_features_in_", 2],
            ["_min_degree", 2],
            ["_max_degree", 3],
          ]),
          ctx,
        ),
      (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL",
    );
  });
});
