/**
 * The V2 infer answer written as text against `JSON.stringify` of the answer object: the same bytes for
 * every kind of output tensor — labels of each type, probabilities, numbers that are not finite, -0,
 * strings that need escapes — so the fast lane's answers are the Fastify route's.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inferAnswerText } from "../../src/server/protocols/v2/answer-text.ts";
import type { OutputTensor } from "../../src/server/protocols/v2/codec.ts";
import type { InferAnswer } from "../../src/server/protocols/v2/service.ts";
import type { TensorValue } from "../../src/server/protocols/v2/tensor.ts";
import { inferResponseJson } from "../../src/server/routes/v2.ts";
import { seeded } from "../helpers.ts";

const STRINGS = [
  "virginica",
  "",
  'say "hi"',
  "back\\slash",
  "tab\tnew\nline",
  "\u0000\u001f",
  "é",
  "\u007f",
  "\ud83d\ude00",
  "\ud800",
  "日本",
];
const NUMBERS = [
  0,
  -0,
  1,
  -1.5,
  0.1 + 0.2,
  1e21,
  1e-7,
  5e-324,
  Number.MAX_VALUE,
  Number.NaN,
  Infinity,
  -Infinity,
  123456789012,
];

function answerOf(outputs: OutputTensor[], id = "req-1"): InferAnswer {
  return {
    model_name: "iris",
    model_version: "1",
    id,
    outputs,
    served: undefined as never,
    inferenceMs: 0.01,
  };
}

function same(a: InferAnswer): void {
  assert.equal(inferAnswerText(a), JSON.stringify(inferResponseJson(a)));
}

describe("the V2 infer answer as text", () => {
  it("is JSON.stringify's text of the answer object for every kind of tensor", () => {
    same(answerOf([]));
    same(answerOf([{ name: "predict", datatype: "BYTES", shape: [1], data: ["virginica"] }]));
    same(
      answerOf([
        { name: "predict", datatype: "INT64", shape: [2], data: [0, 2] },
        {
          name: "predict_proba",
          datatype: "FP64",
          shape: [2, 3],
          data: new Float64Array([0, 0.13, 0.87, 1, -0, 0]),
        },
      ]),
    );
    same(answerOf([{ name: "predict", datatype: "BOOL", shape: [3], data: [true, false, null] }]));
    same(
      answerOf([
        { name: "raw_score", datatype: "FP64", shape: [NUMBERS.length, 1], data: new Float64Array(NUMBERS) },
      ]),
    );
    same(answerOf([{ name: "predict", datatype: "FP64", shape: [NUMBERS.length], data: NUMBERS }]));
    same(answerOf([{ name: "predict", datatype: "BYTES", shape: [STRINGS.length], data: STRINGS }]));
    for (const s of STRINGS) {
      same({
        ...answerOf([{ name: s, datatype: "BYTES", shape: [1], data: [s] }], s),
        model_name: s,
        model_version: s,
      });
    }
  });

  it("matches on random answers", () => {
    const rand = seeded(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    for (let k = 0; k < 500; k++) {
      const outputs: OutputTensor[] = Array.from({ length: Math.floor(rand() * 4) }, () => {
        const n = Math.floor(rand() * 6);
        const kind = pick(["num", "f64", "str", "bool", "mixed"]);
        const data: TensorValue[] | Float64Array =
          kind === "f64"
            ? Float64Array.from({ length: n }, () => (rand() < 0.2 ? pick(NUMBERS) : rand() * 10 - 5))
            : Array.from({ length: n }, () => {
                const which = kind === "mixed" ? pick(["num", "str", "bool", "null"]) : kind;
                if (which === "num") return rand() < 0.3 ? pick(NUMBERS) : Math.round(rand() * 1e6) / 1e3;
                if (which === "str") return pick(STRINGS);
                if (which === "bool") return rand() < 0.5;
                return null;
              });
        return { name: pick(["predict", "predict_proba", "out é"]), datatype: "FP64", shape: [n, 1], data };
      });
      same(answerOf(outputs, pick(STRINGS)));
    }
  });
});
