/**
 * @module A non-Node client agrees: requests serialized by Python grpcio stubs (generated from the
 * vendored proto by scripts/fixtures/protocols/grpc_python_client.py, run once) are replayed byte for
 * byte against the server, and its answers decode to exactly what the Python client decoded.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { buildApp } from "../../src/server/app.ts";
import {
  type GrpcServerHandle,
  PROTO_PATH,
  startGrpcServer,
} from "../../src/server/protocols/grpc/server.ts";
import { silent } from "../helpers.ts";
import { decodeRaw } from "./oip.ts";

interface PyCase {
  readonly name: string;
  readonly method: string;
  readonly request_b64: string;
  readonly status: string;
  readonly response?: Record<string, unknown>;
  readonly details?: string;
  readonly ms_error_code?: string;
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/protocols/python-grpc.json", import.meta.url), "utf8"),
) as { model: string; cases: PyCase[] };

const root = protobuf.loadSync(PROTO_PATH);
const toObject = { longs: Number, defaults: true, arrays: true } as const;

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf messages are dynamic.
type Msg = any;

/** Decodes an answer the way the Python script did (raw contents unpacked, BYTES as text). */
function decodeAnswer(method: string, bytes: Buffer): Record<string, unknown> {
  const type = root.lookupType(`inference.${method}Response`);
  const m: Msg = type.toObject(type.decode(bytes), toObject);
  if (method === "ModelMetadata") {
    const t = (x: Msg) => ({ name: x.name, datatype: x.datatype, shape: x.shape });
    return {
      name: m.name,
      platform: m.platform,
      versions: m.versions,
      inputs: m.inputs.map(t),
      outputs: m.outputs.map(t),
    };
  }
  const typed = (t: Msg): unknown[] => {
    const c = t.contents ?? {};
    if (t.datatype === "BYTES")
      return c.bytesContents.map((b: Uint8Array) => Buffer.from(b).toString("utf8"));
    return { FP64: c.fp64Contents, FP32: c.fp32Contents, INT64: c.int64Contents, BOOL: c.boolContents }[
      t.datatype as string
    ];
  };
  return {
    model_name: m.modelName,
    model_version: m.modelVersion,
    id: m.id,
    outputs: m.outputs.map((t: Msg, i: number) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      data:
        m.rawOutputContents.length > 0
          ? decodeRaw(t.datatype, Buffer.from(m.rawOutputContents[i]))
          : typed(t),
    })),
  };
}

let registry: ModelRegistry;
let server: GrpcServerHandle;
let client: grpc.Client;
let close: () => Promise<void>;

before(async () => {
  registry = new ModelRegistry();
  registry.register(
    "random_forest",
    "1",
    await loadModel(fileURLToPath(new URL(`../../${fixture.model}`, import.meta.url))),
  );
  const app = buildApp(registry, { logger: silent });
  server = await startGrpcServer(app.context, { host: "127.0.0.1", port: 0, logger: silent });
  client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  close = () => app.fastify.close();
});
after(async () => {
  client.close();
  await server.close(1000);
  await close();
  await registry.close();
});

describe("Python grpcio client (recorded) = this server today", () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const bytes = Buffer.from(c.request_b64, "base64");
      const res = await new Promise<{ err: grpc.ServiceError | null; body?: Buffer }>((resolve) =>
        client.makeUnaryRequest(
          `/inference.GRPCInferenceService/${c.method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          { deadline: Date.now() + 20_000 },
          (err, body) => resolve({ err, body }),
        ),
      );
      if (c.status === "OK") {
        assert.equal(res.err, null, res.err?.details);
        assert.deepEqual(decodeAnswer(c.method, res.body!), c.response);
      } else {
        assert.ok(res.err);
        assert.equal(grpc.status[res.err.code], c.status);
        assert.equal(res.err.details, c.details);
        assert.equal(res.err.metadata.get("ms-error-code")[0], c.ms_error_code);
      }
    });
  }
});
