/** @module The direct ModelInferResponse encoder writes what the reflection encoder writes. */

import assert from "node:assert/strict";
import { it } from "node:test";
import * as protoLoader from "@grpc/proto-loader";
import { encodeRawInferResponse } from "../../src/server/protocols/grpc/raw-response.ts";
import { PROTO_OPTIONS, PROTO_PATH } from "../../src/server/protocols/grpc/server.ts";

const def = protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS) as unknown as Record<
  string,
  Record<string, { responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }>
>;
const generic = def["inference.GRPCInferenceService"].ModelInfer;

it("matches the reflection encoder byte for byte, and decodes back", () => {
  const answers = [
    {
      model_name: "iris",
      model_version: "1",
      id: "req-é",
      outputs: [
        { name: "predict", datatype: "BYTES", shape: [3] },
        { name: "predict_proba", datatype: "FP64", shape: [3, 3] },
      ],
      raw_output_contents: [Buffer.from("0300000061626303000000646566", "hex"), Buffer.alloc(72, 7)],
    },
    {
      model_name: "m".repeat(200),
      model_version: "2026-12-05",
      id: "x",
      outputs: [{ name: "y", datatype: "FP32", shape: [100_000, 300] }],
      raw_output_contents: [Buffer.alloc(20_000, 1)],
    },
  ];
  for (const a of answers) {
    const mine = encodeRawInferResponse(a);
    assert.deepEqual(mine, generic.responseSerialize(a));
    const back = generic.responseDeserialize(mine) as typeof a;
    assert.equal(back.id, a.id);
    assert.deepEqual(
      back.outputs.map((o) => o.shape),
      a.outputs.map((o) => o.shape),
    );
    assert.deepEqual(
      back.raw_output_contents.map((b) => Buffer.from(b)),
      a.raw_output_contents,
    );
  }
});
