/**
 * A plain Open Inference Protocol infer body read straight from its bytes against `JSON.parse`: every body
 * the reader takes is one `JSON.parse` takes, with the same keys, strings and numbers (bit for bit), and
 * `decodeInferBody` makes the same tensors, or throws the same error, from either. Damaged bodies: the
 * reader declines each, or reads exactly what `JSON.parse` reads.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import { decodePlainInfer, type PlainInferBody } from "../../src/server/protocols/v2/json-infer.ts";
import { decodeInferBody } from "../../src/server/routes/v2.ts";
import { damaged, seeded } from "../helpers.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");

/** The reader's answer with each tensor's numbers as a plain array, to compare with `JSON.parse`'s. */
function asParsed(p: PlainInferBody): unknown {
  return {
    ...p,
    inputs: p.inputs.map((t) => (t.data === undefined ? { ...t } : { ...t, data: Array.from(t.data) })),
  };
}

/** Same value, -0 and NaN included (`deepStrictEqual` tells -0 from 0). */
function assertSameAsParse(p: PlainInferBody, text: string): void {
  assert.deepStrictEqual(asParsed(p), JSON.parse(text));
}

/** `decodeInferBody` of a body, as tensors or as the error's code and message. */
function outcome(body: unknown): unknown {
  try {
    const d = decodeInferBody(body);
    return { ...d, inputs: d.inputs.map((t) => ({ ...t, values: Array.from(t.values) })) };
  } catch (err) {
    assert.ok(isModelServeError(err));
    return `${err.code}: ${err.message}`;
  }
}

const NUMBERS = [
  "0",
  "-0",
  "1",
  "5.1",
  "3.5e0",
  "-2.25E-3",
  "1e22",
  "0.30000000000000004",
  "123456789012345678",
  "7",
];
const DATATYPES = ["FP64", "FP32", "FP16", "INT32", "UINT8", "BOOL", "BYTES", "X"];

function tensorText(rand: () => number): string {
  const n = Math.floor(rand() * 6);
  const data = Array.from({ length: n }, () => NUMBERS[Math.floor(rand() * NUMBERS.length)]);
  const members = [
    `"name": "input-${Math.floor(rand() * 3)}"`,
    `"datatype": "${DATATYPES[Math.floor(rand() * DATATYPES.length)]}"`,
    `"shape": [${rand() < 0.8 ? `1, ${n}` : `${n}`}]`,
    `"data": [${data.join(rand() < 0.5 ? "," : ", ")}]`,
  ].filter(() => rand() < 0.95);
  members.sort(() => rand() - 0.5);
  return `{${members.join(rand() < 0.5 ? "," : ",\n ")}}`;
}

function bodyText(rand: () => number): string {
  const inputs = Array.from({ length: Math.floor(rand() * 3) + (rand() < 0.9 ? 1 : 0) }, () =>
    tensorText(rand),
  );
  const members = [`"inputs": [${inputs.join(", ")}]`];
  if (rand() < 0.5) members.push(`"id": "req-${Math.floor(rand() * 100)}"`);
  members.sort(() => rand() - 0.5);
  return ` {${members.join(", ")}} `;
}

describe("a plain V2 infer body read from its bytes", () => {
  it("is JSON.parse's value, and decodeInferBody makes the same tensors or the same error from it", () => {
    const rand = seeded(4);
    const outcomes = new Set<string>();
    for (let k = 0; k < 600; k++) {
      const text = bodyText(rand);
      const p = decodePlainInfer(bytes(text));
      assert.ok(p, `declined a plain body: ${text}`);
      assertSameAsParse(p, text);
      const parsed = outcome(JSON.parse(text));
      assert.deepStrictEqual(outcome(p), parsed);
      outcomes.add(typeof parsed === "string" ? parsed.split(":")[0] : "ok");
    }
    // Both tensors and each kind of error were met.
    assert.deepEqual([...outcomes].sort(), ["MS_INVALID_TENSOR", "ok"]);
  });

  it("rounds FP32 data as the parsed body's is rounded", () => {
    const text = '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [5.1, 0.1]}]}';
    const d = decodeInferBody(decodePlainInfer(bytes(text)));
    assert.deepEqual(Array.from(d.inputs[0].values), [Math.fround(5.1), Math.fround(0.1)]);
    assert.deepStrictEqual(outcome(decodePlainInfer(bytes(text))), outcome(JSON.parse(text)));
  });

  it("reads data of any length, however short its numbers", () => {
    for (const data of [Array(1000).fill(7), Array.from({ length: 999 }, (_, i) => i * 0.001 - 0.5), []]) {
      const text = JSON.stringify({ inputs: [{ name: "x", datatype: "FP64", shape: [data.length], data }] });
      const p = decodePlainInfer(bytes(text));
      assert.ok(p);
      assertSameAsParse(p, text);
    }
  });

  it("reads a body after one larger than its kept buffer, read or declined", () => {
    const big = Array.from({ length: 70_000 }, (_, i) => i * 0.5);
    const bigText = JSON.stringify({
      inputs: [{ name: "x", datatype: "FP64", shape: [big.length], data: big }],
    });
    const small = '{"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [0.25, -3]}]}';
    const p = decodePlainInfer(bytes(bigText));
    assert.ok(p);
    assertSameAsParse(p, bigText);
    const after = decodePlainInfer(bytes(small));
    assert.ok(after);
    assertSameAsParse(after, small);
    // Declined at its last element, after its numbers filled the buffer.
    assert.equal(decodePlainInfer(bytes(bigText.replace(/\]\}\]\}$/, ", x]}]}"))), undefined);
    const again = decodePlainInfer(bytes(small));
    assert.ok(again);
    assertSameAsParse(again, small);
    // The big tensor's data is its own: reading the small body did not write into it.
    assert.deepEqual(Array.from(p.inputs[0].data!.subarray(0, 2)), [0, 0.5]);
  });

  it("reads one tensor per feature, more features than it keeps names of, request after request", () => {
    for (const width of [4, 30, 100]) {
      const text = JSON.stringify({
        inputs: Array.from({ length: width }, (_, f) => ({
          name: `feature_${f}`,
          shape: [1],
          datatype: "FP64",
          data: [f / 8],
        })),
      });
      for (let k = 0; k < 3; k++) {
        const p = decodePlainInfer(bytes(text));
        assert.ok(p);
        assertSameAsParse(p, text);
      }
    }
  });

  it("declines every body that is not plain", () => {
    const t = '{"name": "x", "datatype": "FP64", "shape": [1], "data": [1]}';
    for (const text of [
      `{"inputs": [${t}], "outputs": [{"name": "predict"}]}`,
      `{"inputs": [${t}], "parameters": {}}`,
      `{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1], "parameters": {}}]}`,
      `{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1, 1], "data": [[1]]}]}`,
      `{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [null]}]}`,
      `{"inputs": [{"name": "x", "datatype": "BOOL", "shape": [1], "data": [true]}]}`,
      `{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}`,
      `{"inputs": [{"name": "x", "name": "y", "datatype": "FP64", "shape": [1], "data": [1]}]}`,
      `{"inputs": [{"name": "\\u0078", "datatype": "FP64", "shape": [1], "data": [1]}]}`,
      `{"inputs": [{"name": "\u00e9", "datatype": "FP64", "shape": [1], "data": [1]}]}`,
      `{"inputs": [${t}], "inputs": [${t}]}`,
      `{"inputs": [${t}], "id": 7}`,
      `{"inputs": [${t}], "id": "a", "id": "b"}`,
      `{"inputs": [${t},]}`,
      `{"inputs": [${t}]`,
      `{"inputs": [${t}]} x`,
      `{"inputs": {}}`,
      `{"id": "a"}`,
      `[${t}]`,
      "",
    ])
      assert.equal(decodePlainInfer(bytes(text)), undefined, text);
  });

  it("declines a damaged body or reads exactly what JSON.parse reads from it", () => {
    const rand = seeded(8);
    const alphabet = ' \n[]{},:"-.e0123456789adnstpu\\\u00ff';
    let taken = 0;
    for (let k = 0; k < 5000; k++) {
      const text = damaged(bodyText(rand), rand, 1 + Math.floor(rand() * 2), alphabet);
      const p = decodePlainInfer(bytes(text));
      if (p === undefined) continue;
      taken++;
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(text, "latin1").toString("utf8"));
      } catch {
        assert.fail(`the reader took a body JSON.parse refuses: ${text}`);
      }
      assert.deepStrictEqual(asParsed(p), parsed);
    }
    assert.ok(taken > 500, `only ${taken} damaged bodies were read`);
  });
});
