/** @module Tests of the container-file rule (a dict, list or tuple holding a model and its helpers). */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import type { PyDict, PyValue } from "../../../src/formats/pickle/py-objects.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { loadAllFamilies } from "../../../src/runtimes/sklearn/builders.ts";
import { readPickle } from "../../../src/runtimes/sklearn/parse-pickle.ts";
import { buildEstimator } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

// buildEstimator is called directly here: every family's builders first (a load imports them itself).
await loadAllFamilies();

const root = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const read = (v: string, c: string) =>
  readPickle(readFileSync(join(root, v, c, "model.joblib")), `${c}.joblib`);
const dict = (entries: [string, PyValue][]): PyDict => ({
  kind: "dict",
  map: new Map(entries),
  otherEntries: [],
});

function refuses(fn: () => unknown, code: string, text: RegExp) {
  assert.throws(fn, (e: unknown) => isModelServeError(e) && e.code === code && text.test(e.message));
}

describe("sklearn container files", () => {
  for (const v of ["1.2.1", "1.9.1"]) {
    it(`decodes a dict's model labels through its LabelEncoder and ignores metadata (${v})`, async () => {
      const m = await loadModel(join(root, v, "comp-container-dict", "model.joblib"));
      assert.deepEqual(m.signature.output.classes, ["setosa", "versicolor", "virginica"]);
      assert.equal(m.details.modelType, "Pipeline");
      const rows = JSON.parse(readFileSync(join(root, v, "comp-container-dict", "inputs.json"), "utf8"));
      const want = JSON.parse(readFileSync(join(root, v, "comp-container-dict", "expected.json"), "utf8"));
      const out = await m.predict(tableFromRows(m.signature, rows));
      assert.equal(out.kind, "labels");
      assert.deepEqual(out.kind === "labels" ? out.labels : [], want.predict);
    });

    it(`refuses two models, two LabelEncoders, and containers without an estimator (${v})`, async () => {
      const a = await read(v, "linear-linreg");
      const b = await read(v, "linear-ridgeclf");
      const le = await read(v, "comp-label-encoder");
      refuses(
        () =>
          buildEstimator(
            dict([
              ["a", a],
              ["b", b],
            ]),
            "f.pkl",
          ),
        "MS_UNSUPPORTED_MODEL",
        /several models/,
      );
      refuses(
        () =>
          buildEstimator(
            dict([
              ["m", b],
              ["y1", le],
              ["y2", le],
            ]),
            "f.pkl",
          ),
        "MS_UNSUPPORTED_MODEL",
        /several LabelEncoders \(\["y1"\], \["y2"\]:/,
      );
      refuses(
        () =>
          buildEstimator(
            dict([
              ["name", "x"],
              ["n", 3],
            ]),
            "f.pkl",
          ),
        "MS_INVALID_MODEL",
        /without any scikit-learn estimator \(entries found: \["name"\], \["n"\]\)/,
      );
      // A classifier with integer classes 0…k-1 next to a LabelEncoder answers with the encoder's names.
      const clf = buildEstimator(
        dict([
          ["m", b],
          ["le", le],
        ]),
        "f.pkl",
      );
      assert.deepEqual(clf.classes, ["business", "entertainment", "politics"]);
      // A regressor is left alone: the encoder then encodes something else.
      assert.equal(
        buildEstimator(
          dict([
            ["m", a],
            ["le", le],
          ]),
          "f.pkl",
        ).classes,
        undefined,
      );
    });

    it(`serves a lone transformer in a list and a LabelEncoder alone (${v})`, async () => {
      const sc = await read(v, "prep-robust");
      const est = buildEstimator([sc, "notes"], "f.pkl");
      assert.equal(est.className, "RobustScaler");
      const le = await loadModel(join(root, v, "comp-label-encoder", "model.joblib"));
      assert.equal(le.signature.inputs[0].name, "text");
      assert.equal(le.signature.inputs[0].dtype, "category");
      assert.throws(
        () => tableFromRows(le.signature, [["weather"]]),
        (e: unknown) => isModelServeError(e) && e.statusCode === 422 && /weather/.test(e.message),
      );
      const codes = await le.predict(tableFromRows(le.signature, [["tech"], ["business"]]));
      assert.deepEqual(codes.kind === "values" ? Array.from(codes.values.data) : codes, [4, 0]);
    });
  }
});
