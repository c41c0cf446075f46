/**
 * @module Tests of the multiclass and multi-output meta-estimators beyond the shared conformance suite (which
 * checks every fixture's answers against scikit-learn's): coverage of both versions, decision functions, and
 * the refusal of estimators that cannot score new data by design, with that reason.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { sklearnRuntime } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const VERSIONS = ["1.2.1", "1.9.1"];
const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));

describe("sklearn multiclass and multi-output meta-estimators", () => {
  it("has fixtures of every meta-estimator from both versions", () => {
    for (const v of VERSIONS) {
      const cases = readdirSync(join(fixtures, "sklearn", v)).filter((c) => c.startsWith("multi-"));
      for (const kind of ["ovr-", "ovo-", "moc-", "mor-", "cc-", "rc-"])
        assert.ok(
          cases.some((c) => c.startsWith(`multi-${kind}`)),
          `${v} ${kind}`,
        );
    }
  });

  for (const v of VERSIONS) {
    it(`one-vs-one and one-vs-rest decision functions are scikit-learn's (${v})`, async () => {
      for (const c of [
        "multi-ovo-logreg-iris",
        "multi-ovr-logreg-iris",
        "multi-ovo-tree-binary",
        "multi-cc-logreg-bc",
      ]) {
        const dir = join(fixtures, "sklearn", v, c);
        const e = read(join(dir, "expected.json"));
        const m = await loadModel(join(dir, "model.joblib"));
        assert.ok(m.decisionFunction, `${c} offers decision_function`);
        const d = await m.decisionFunction!(tableFromRows(m.signature, read(join(dir, "inputs.json"))));
        const want = (e.decision_function as (number | number[])[]).flat();
        assert.equal(d.data.length, want.length, c);
        for (const [i, w] of want.entries())
          assert.ok(
            Math.abs(d.data[i] - w) <= Math.max(e.abs, e.rel * Math.abs(w)),
            `${c}[${i}]: ${d.data[i]} vs ${w}`,
          );
      }
    });

    it(`refuses estimators that cannot score new data, saying so (${v})`, async () => {
      for (const [f, name] of [
        ["fit-only-tsne.joblib", "TSNE"],
        ["fit-only-dbscan.joblib", "DBSCAN"],
        ["fit-only-agglomerative.joblib", "AgglomerativeClustering"],
        // An imbalanced-learn resampler saved alone (its fitted NearestNeighbors inside).
        ["fit-only-smote-tomek.joblib", "SMOTETomek"],
      ]) {
        await assert.rejects(
          sklearnRuntime.load({ fileName: f, bytes: readFileSync(join(fixtures, "sklearn-others", v, f)) }),
          (e: unknown) =>
            isModelServeError(e) &&
            e.code === "MS_UNSUPPORTED_MODEL" &&
            e.message.includes(name) &&
            /cannot score new data by design/.test(e.message) &&
            !/allow-list/.test(e.message),
        );
      }
    });
  }
});
