/**
 * @module The native answer written as text is byte for byte `JSON.stringify` of the answer object, for
 * every method and shape: labels of every kind (array-index keys, keys that repeat, quotes, unicode),
 * non-finite probabilities, multi-output classifiers, regressions, undefined predictions.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InferenceResult, PredictionValue } from "../../src/inference/run.ts";
import type { ReadyVersion } from "../../src/inference/version.ts";
import type { Label } from "../../src/runtimes/runtime.ts";
import { answerJson, nativeAnswer } from "../../src/server/predict/answer-json.ts";
import type { Prediction } from "../../src/server/predict/pipeline.ts";
import { seeded } from "../helpers.ts";

const LABEL_POOL: Label[] = [
  0,
  1,
  2,
  10,
  -1,
  1.5,
  4294967294, // the largest array index
  4294967295, // not an index: keeps its place
  "0",
  "1",
  "01",
  "setosa",
  "",
  'quo"te',
  "back\\slash",
  "line\nbreak",
  "tab\t",
  "é — ünïcode",
  "\u2028",
  "😀",
  true,
  false,
  "true",
  "constructor",
  "__proto__x",
];

const NUMBERS = [0, -0, 1, 0.1, 1 / 3, 1e-300, 5e-324, 1e21, 123456789.123, Number.NaN, Infinity, -Infinity];

function version(name: string, v: string): ReadyVersion {
  // Only identity, name and version are read by the writer.
  return { name, version: v } as unknown as ReadyVersion;
}

describe("native answer as text", () => {
  it("equals JSON.stringify of the answer object over 4000 random predictions", () => {
    const rnd = seeded(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const labels = (n: number) => Array.from({ length: n }, () => pick(LABEL_POOL));
    for (let i = 0; i < 4000; i++) {
      const rows = 1 + Math.floor(rnd() * 4);
      const kind = pick(["classes", "outputs", "regression", "values"] as const);
      const classes = kind === "classes" ? labels(1 + Math.floor(rnd() * 5)) : undefined;
      const outputClasses =
        kind === "outputs" ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => labels(2)) : undefined;
      const width = classes?.length ?? outputClasses?.reduce((a, c) => a + c.length, 0) ?? 0;
      const probabilities =
        width > 0
          ? { rows, cols: width, data: Float64Array.from({ length: rows * width }, () => pick(NUMBERS)) }
          : undefined;
      const value = (): PredictionValue | undefined => {
        if (classes) return pick(classes);
        if (outputClasses) return outputClasses.map((c) => pick(c));
        if (kind === "values") return pick([[1, null, 2.5], { y: [1, 2], label: "a" }, null, pick(NUMBERS)]);
        return rnd() < 0.05 ? undefined : pick(NUMBERS);
      };
      const predictions = Array.from({ length: rows }, value) as PredictionValue[];
      const result: InferenceResult = {
        predictions,
        probabilities,
        classes,
        ...(classes ? {} : outputClasses ? { outputClasses } : {}),
        inferenceMs: 1,
      };
      const p: Prediction = {
        version: version(pick(["m", 'we"ird', "módel"]), pick(["1", "2024-01-01", "v\\2"])),
        result,
        rows,
      };
      for (const method of ["predict", "predict_proba"] as const) {
        if (method === "predict_proba" && !probabilities) continue;
        for (const batch of [false, true]) {
          if (!batch && rows > 1) continue;
          const expected = JSON.stringify(nativeAnswer(p, method, batch));
          assert.equal(answerJson(p, method, batch), expected, `case ${i} ${method} batch=${batch}`);
        }
      }
    }
  });

  it("writes the keys of a map in JavaScript's order (array indices first) with a repeated key's last value", () => {
    const p: Prediction = {
      version: version("m", "1"),
      result: {
        predictions: [2],
        probabilities: { rows: 1, cols: 4, data: Float64Array.of(0.1, 0.2, 0.3, 0.4) },
        classes: ["b", 2, "1", 1],
        inferenceMs: 0,
      },
      rows: 1,
    };
    assert.equal(
      answerJson(p, "predict", false),
      '{"model":"m","version":"1","prediction":2,"probabilities":{"1":0.4,"2":0.2,"b":0.1}}',
    );
  });
});
