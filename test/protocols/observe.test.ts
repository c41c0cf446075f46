/**
 * @module The protocol front ends are observed like /predict: one audit entry per prediction over V2
 * REST, V1 and V2 gRPC, with the route, the caller's key id, the inputs and the outputs.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { accessKeys } from "../../src/config/config.ts";
import { startGrpcServer } from "../../src/server/protocols/grpc/server.ts";
import { IRIS_ROW, makeApp, silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";
import { callOk, oipClient, rawFp64 } from "./oip.ts";

const ROW = [IRIS_ROW.sepal_length, IRIS_ROW.sepal_width, IRIS_ROW.petal_length, IRIS_ROW.petal_width];

it("V2 REST, V1 and V2 gRPC predictions reach the audit log with route, key and outputs", async () => {
  const target = join(tempDir("audit-v2"), "audit.jsonl");
  const key = "audit-key-0123456789abcdef";
  const { fastify, context } = makeApp({
    audit: { target },
    access: { keys: accessKeys({ apiKeys: `svc:${key}:predict` }) },
  });
  const grpcServer = await startGrpcServer(context, { host: "127.0.0.1", port: 0, logger: silent });
  const client = oipClient(grpcServer.port);
  try {
    const headers = { authorization: `Bearer ${key}` };
    const v2 = await fastify.inject({
      method: "POST",
      url: "/v2/models/heuristic/infer",
      headers,
      payload: { inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP64", data: ROW }] },
    });
    assert.equal(v2.statusCode, 200);
    const v1 = await fastify.inject({
      method: "POST",
      url: "/v1/models/heuristic:predict",
      headers,
      payload: { instances: [ROW] },
    });
    assert.equal(v1.statusCode, 200);
    await callOk(
      client,
      "ModelInfer",
      {
        model_name: "heuristic",
        inputs: [{ name: "input-0", datatype: "FP64", shape: [1, 4] }],
        raw_input_contents: [rawFp64(ROW)],
      },
      { authorization: `Bearer ${key}` },
    );
  } finally {
    client.close();
    await grpcServer.close(1000);
    await fastify.close();
  }
  await context.audit?.close();
  const lines = readFileSync(target, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.route),
    ["/v2/models/:name/infer", "/v1/models/:name:predict", "/inference.GRPCInferenceService/ModelInfer"],
  );
  for (const l of lines) {
    assert.equal(l.model, "heuristic");
    assert.equal(l.keyId, "svc");
    assert.equal(l.status, 200);
    assert.deepEqual(l.predictions, ["setosa"]);
    assert.deepEqual(l.inputs.length, 1);
  }
  // The V2 tensors took the numeric fast path (no rows built to validate); the audit entry still holds
  // the row, named after the model's inputs, as for V1's positional instance.
  assert.deepEqual(lines[0].inputs, lines[1].inputs);
  assert.deepEqual(lines[2].inputs, lines[1].inputs);
  assert.deepEqual(Object.values(lines[1].inputs[0]), ROW);
});
