/** @module `deploy({ grpcPort })` serves the Open Inference Protocol over gRPC beside HTTP and closes both. */

import assert from "node:assert/strict";
import { it } from "node:test";
import { status } from "@grpc/grpc-js";
import { deploy } from "../../src/deploy.ts";
import { silent } from "../helpers.ts";
import { call, callOk, decodeRaw, oipClient, rawFp32 } from "./oip.ts";

it("deploy with grpcPort answers V2 over gRPC, and close stops it", async () => {
  const model = new URL("../../examples/iris/models/random_forest.joblib", import.meta.url).pathname;
  const svc = await deploy({ name: "iris", path: model }, { port: 0, grpcPort: 0, logger: silent, env: {} });
  assert.ok(svc.grpcPort !== undefined && svc.grpcPort > 0);
  const client = oipClient(svc.grpcPort);
  try {
    assert.deepEqual(await callOk(client, "ServerReady", {}), { ready: true });
    const res = await callOk<{ raw_output_contents: Buffer[] }>(client, "ModelInfer", {
      model_name: "iris",
      inputs: [{ name: "input-0", datatype: "FP32", shape: [1, 4] }],
      raw_input_contents: [rawFp32([6.7, 3.0, 5.2, 2.3])],
    });
    assert.deepEqual(decodeRaw("BYTES", res.raw_output_contents[0]), ["virginica"]);
    await svc.close();
    const after = await call(client, "ServerLive", {});
    assert.ok(!after.ok && after.code === status.UNAVAILABLE);
  } finally {
    client.close();
  }
});
