/**
 * @module Multilabel one-vs-rest, multi-output meta-estimators, trees, forests and k-nearest-neighbours against
 * scikit-learn's own answers, from both versions' fixtures: each output's probability columns (MultiOutputClassifier.predict_proba's list, or
 * the members' rows of a multilabel OvR or a chain) and, where scikit-learn answers P(output = 1) as one
 * matrix, that column too.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const VERSIONS = ["1.2.1", "1.9.1"];
const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));

interface Expected {
  rel: number;
  abs: number;
  predict: number[][];
  predict_proba_outputs?: number[][][];
  predict_proba_labels?: number[][];
  output_classes?: (number | string)[][];
}

const near = (a: number, e: number, x: Expected, what: string) =>
  assert.ok(Math.abs(a - e) <= Math.max(x.abs, x.rel * Math.abs(e)), `${what}: ${a} vs ${e}`);

describe("sklearn multilabel and multi-output classifiers", () => {
  for (const v of VERSIONS) {
    const cases = readdirSync(join(fixtures, v)).filter(
      (c) =>
        (c.startsWith("multi-") ||
          c.startsWith("trees-multi-") ||
          c.startsWith("knn-multi-") ||
          c === "mlp-clf-multilabel") &&
        "predict_proba_outputs" in read(join(fixtures, v, c, "expected.json")),
    );

    it(`has multilabel OvR, MultiOutputClassifier and chain probabilities (${v})`, () => {
      for (const kind of [
        "multi-ovr-multilabel-",
        "multi-moc-proba-",
        "multi-cc-proba-logreg",
        "trees-multi-dt-",
        "trees-multi-rf-",
        "trees-multi-et-",
        "knn-multi-clf-",
        "mlp-clf-multilabel",
      ])
        assert.ok(
          cases.some((c) => c.startsWith(kind)),
          kind,
        );
    });

    for (const c of cases) {
      it(`${c}: every output's probabilities are scikit-learn's (${v})`, async () => {
        const dir = join(fixtures, v, c);
        const x: Expected = read(join(dir, "expected.json"));
        const m = await loadModel(join(dir, "model.joblib"));
        const out = m.signature.output;
        assert.equal(out.task, "regression");
        assert.equal(out.targets, x.predict[0].length);
        assert.deepEqual(out.outputClasses, x.output_classes);
        assert.equal(out.classes, undefined);
        assert.equal(m.signature.capabilities.predictProba, true);
        const p = await m.predictProba!(tableFromRows(m.signature, read(join(dir, "inputs.json"))));
        const groups = x.output_classes!;
        assert.equal(
          p.cols,
          groups.reduce((n, g) => n + g.length, 0),
        );
        assert.equal(p.rows, x.predict.length);
        let offset = 0;
        groups.forEach((classes, o) => {
          for (let r = 0; r < p.rows; r++) {
            for (let j = 0; j < classes.length; j++)
              near(
                p.data[r * p.cols + offset + j],
                x.predict_proba_outputs![o][r][j],
                x,
                `${c} row ${r} output ${o} class ${j}`,
              );
            // scikit-learn's own multilabel answer: P(output = 1), the column of class 1.
            if (x.predict_proba_labels)
              near(
                p.data[r * p.cols + offset + classes.indexOf(1)],
                x.predict_proba_labels[r][o],
                x,
                `${c} row ${r} P(output ${o} = 1)`,
              );
          }
          offset += classes.length;
        });
      });
    }

    it(`a multilabel OvR answers indicator rows and names its outputs by label (${v})`, async () => {
      const dir = join(fixtures, v, "multi-ovr-multilabel-linearsvc-pipeline");
      const x: Expected = read(join(dir, "expected.json"));
      const m = await loadModel(join(dir, "model.joblib"));
      // LinearSVC members have no predict_proba: neither has the model.
      assert.equal(m.signature.capabilities.predictProba, false);
      assert.equal(m.predictProba, undefined);
      assert.deepEqual(m.signature.output.names, ["0", "1", "2"]);
      const out = await m.predict(tableFromRows(m.signature, read(join(dir, "inputs.json"))));
      assert.equal(out.kind, "values");
      if (out.kind !== "values") return;
      assert.deepEqual(
        Array.from({ length: out.values.rows }, (_, r) =>
          Array.from(out.values.data.subarray(r * out.values.cols, (r + 1) * out.values.cols)),
        ),
        x.predict,
      );
    });
  }
});
