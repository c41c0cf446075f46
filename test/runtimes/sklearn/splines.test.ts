/**
 * @module SplineTransformer beyond the conformance suite (which checks every fixture's transform bit for bit):
 * a row beyond the knots with extrapolation="error" is refused as scikit-learn refuses it, and the
 * extrapolations not implemented are refused at load time by name.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import type { PyObject } from "../../../src/formats/pickle/py-objects.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { loadAllFamilies } from "../../../src/runtimes/sklearn/builders.ts";
import { readPickle } from "../../../src/runtimes/sklearn/parse-pickle.ts";
import { stateOf } from "../../../src/runtimes/sklearn/py-access.ts";
import { buildEstimator } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

// buildEstimator is called directly here: every family's builders first (a load imports them itself).
await loadAllFamilies();

const fx = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));

describe("sklearn SplineTransformer", () => {
  for (const v of ["1.2.1", "1.9.1"]) {
    it(`refuses a row beyond the knots with extrapolation="error" (${v})`, async () => {
      const dir = join(fx, v, "prep-spline-error-quantile");
      const m = await loadModel(join(dir, "model.joblib"));
      const row = (JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8")) as number[][])[0].slice();
      row[0] = 10;
      await assert.rejects(
        m.predict(tableFromRows(m.signature, [row])),
        (e: unknown) =>
          isModelServeError(e) &&
          e.code === "MS_INVALID_INPUT" &&
          /beyond the limits of the knots/.test(e.message),
      );
    });

    it(`refuses linear and periodic extrapolation by name (${v})`, async () => {
      const file = join(fx, v, "prep-spline-constant-cubic", "model.joblib");
      for (const mode of ["linear", "periodic"]) {
        const obj = (await readPickle(readFileSync(file), "m.joblib")) as PyObject;
        stateOf(obj).set("extrapolation", mode);
        assert.throws(
          () => buildEstimator(obj, "m.joblib"),
          (e: unknown) =>
            isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && e.message.includes(mode),
        );
      }
    });
  }
});
