/**
 * @module Tests of `infer` and the JSON shaping of predictions: real scikit-learn models answer what
 * scikit-learn recorded (labels keep their JSON type, multi-output rows stay arrays), probabilities
 * come with their classes, non-finite numbers become null (JSON has no NaN), tensor outputs split by
 * row, and models without probabilities are refused with MS_METHOD_NOT_SUPPORTED.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../src/errors.ts";
import { infer, predictionValues, probabilityMap } from "../../src/inference/run.ts";
import type { ReadyVersion } from "../../src/inference/version.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import type { Matrix } from "../../src/runtimes/runtime.ts";

const root = fileURLToPath(new URL("../fixtures/sklearn/1.9.1/", import.meta.url));
const json = (dir: string, f: string) => JSON.parse(readFileSync(join(root, dir, f), "utf8"));

const registry = new ModelRegistry();
after(() => registry.close());

/** Registers a fixture model and returns it with its inputs and scikit-learn's outputs. */
async function fixture(dir: string) {
  const v: ReadyVersion = registry.register(dir, "1", await loadModel(join(root, dir, "model.joblib")));
  const rows = json(dir, "inputs.json");
  return { v, table: v.validator.toTable(rows, "instances"), expected: json(dir, "expected.json") };
}

function assertClose(
  actual: readonly number[],
  expected: readonly number[],
  rel: number,
  abs: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, what);
  for (const [i, e] of expected.entries()) {
    const ok = Math.abs(actual[i] - e) <= Math.max(abs, rel * Math.abs(e));
    assert.ok(ok, `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}
const rowsOf = (m: Matrix) =>
  Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));

describe("infer with real models", () => {
  it("a classifier with string labels: labels, probabilities and classes as scikit-learn gave them", async () => {
    const { v, table, expected } = await fixture("boost-gb-iris-str");
    const r = await infer(v, table, "predict");
    assert.deepEqual(r.predictions, expected.predict);
    assert.deepEqual(r.classes, expected.classes);
    assert.ok(r.probabilities, "probabilities come with predict when the model has them");
    for (const [i, row] of rowsOf(r.probabilities).entries())
      assertClose(row, expected.predict_proba[i], expected.rel, expected.abs, `proba row ${i}`);
    assert.ok(r.inferenceMs >= 0);
    const p = await infer(v, table, "predict_proba");
    assert.equal(p.predictions, undefined, "predict_proba alone gives no predictions");
    assert.deepEqual(p.classes, expected.classes);
    assert.deepEqual(p.probabilities, r.probabilities);
  });

  it("a classifier with integer labels answers numbers, not strings", async () => {
    const { v, table, expected } = await fixture("svm-svc-rbf-iris");
    const r = await infer(v, table, "predict");
    assert.deepEqual(r.predictions, expected.predict);
    assert.ok(r.predictions?.every((p) => typeof p === "number"));
    assert.equal(r.probabilities, undefined, "an SVC without probability=True has none");
    await assert.rejects(infer(v, table, "predict_proba"), (e: unknown) => {
      assert.ok(isModelServeError(e));
      assert.equal(e.code, "MS_METHOD_NOT_SUPPORTED");
      assert.equal(e.statusCode, 400);
      assert.equal(
        e.message,
        'model "svm-svc-rbf-iris" does not support predict_proba: this classifier does not produce probabilities',
      );
      return true;
    });
  });

  it("a regressor: one number per row; predict_proba refused as not a classifier", async () => {
    const { v, table, expected } = await fixture("boost-gbr-squared");
    const r = await infer(v, table, "predict");
    assertClose(r.predictions as number[], expected.predict, expected.rel, expected.abs, "predict");
    assert.equal(r.classes, undefined);
    await assert.rejects(
      infer(v, table, "predict_proba"),
      (e: unknown) =>
        isModelServeError(e) &&
        e.code === "MS_METHOD_NOT_SUPPORTED" &&
        e.message.endsWith("it is a regression model, not a probabilistic classifier"),
    );
  });

  it("a multi-output regressor: one array per row", async () => {
    const { v, table, expected } = await fixture("linear-ridge-multi");
    const r = await infer(v, table, "predict");
    const preds = r.predictions as number[][];
    assert.equal(preds.length, expected.predict.length);
    for (const [i, row] of preds.entries())
      assertClose(row, expected.predict[i], expected.rel, expected.abs, `row ${i}`);
  });
});

describe("predictionValues and probabilityMap", () => {
  it("labels pass through with their JSON types", () => {
    assert.deepEqual(predictionValues({ kind: "labels", labels: [1, "a", true] }, 3), [1, "a", true]);
  });

  it("values: a number per row, or an array per row; NaN and infinities become null", () => {
    const one: Matrix = {
      rows: 3,
      cols: 1,
      data: Float64Array.of(1.5, Number.NaN, Number.POSITIVE_INFINITY),
    };
    assert.deepEqual(predictionValues({ kind: "values", values: one }, 3), [1.5, null, null]);
    const two: Matrix = { rows: 2, cols: 2, data: Float64Array.of(1, Number.NEGATIVE_INFINITY, 3, 4) };
    assert.deepEqual(predictionValues({ kind: "values", values: two }, 2), [
      [1, null],
      [3, 4],
    ]);
  });

  it("tensors: each row gets its slice of every named output", () => {
    const out = predictionValues(
      {
        kind: "tensors",
        tensors: {
          label: { shape: [2], data: [7, 8] },
          probs: { shape: [2, 3], data: [0.1, 0.2, 0.7, 0.3, 0.3, 0.4] },
          emb: { shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] },
        },
      },
      2,
    );
    assert.deepEqual(out, [
      { label: 7, probs: [0.1, 0.2, 0.7], emb: [1, 2, 3, 4] },
      { label: 8, probs: [0.3, 0.3, 0.4], emb: [5, 6, 7, 8] },
    ]);
  });

  it("keys probabilities by class label, null for non-finite values", () => {
    const p: Matrix = { rows: 2, cols: 3, data: Float64Array.of(0.1, 0.2, 0.7, 1, Number.NaN, 0) };
    assert.deepEqual(probabilityMap(p, [0, 1, 2], 0), { 0: 0.1, 1: 0.2, 2: 0.7 });
    assert.deepEqual(probabilityMap(p, ["a", "b", "c"], 1), { a: 1, b: null, c: 0 });
    assert.deepEqual(Object.keys(probabilityMap(p, [true, false, "x"], 0)), ["true", "false", "x"]);
  });
});
