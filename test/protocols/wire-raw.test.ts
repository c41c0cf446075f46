/**
 * @module Raw output contents as the protocol lays them out (little-endian; BYTES as a 4-byte length then
 * the UTF-8 bytes), checked against encodings built here another way (Buffer and BigInt writes).
 */

import assert from "node:assert/strict";
import { it } from "node:test";
import { encodeOutputs } from "../../src/server/protocols/grpc/wire.ts";

it("BYTES: short, empty, long and multi-byte labels, repeated", () => {
  const labels = ["setosa", "", "é-ü-数据", "x".repeat(33), "virginica", "setosa", 7, "", "x".repeat(33)];
  const { raw_output_contents } = encodeOutputs(
    [{ name: "predict", datatype: "BYTES", shape: [labels.length], data: labels }],
    true,
  );
  const expected = Buffer.concat(
    labels.map((l) => {
      const b = Buffer.from(String(l), "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return Buffer.concat([len, b]);
    }),
  );
  assert.deepEqual(raw_output_contents[0], expected);
});

it("INT64: negative, zero and large safe integers", () => {
  const values = [-1, 0, 1, 2 ** 32, -(2 ** 32) - 5, 2 ** 53 - 1, -(2 ** 53) + 1, 123456789012];
  const { raw_output_contents } = encodeOutputs(
    [{ name: "predict", datatype: "INT64", shape: [values.length], data: values }],
    true,
  );
  const expected = Buffer.alloc(8 * values.length);
  for (const [i, v] of values.entries()) expected.writeBigInt64LE(BigInt(v), 8 * i);
  assert.deepEqual(raw_output_contents[0], expected);
});
