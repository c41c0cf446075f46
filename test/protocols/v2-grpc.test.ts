/**
 * @module Open Inference Protocol V2 over gRPC with a real client generated from the vendored proto:
 * every RPC, typed and raw contents of each datatype, bad tensors as INVALID_ARGUMENT with the MS code,
 * API keys in metadata, metrics, and a graceful close that lets a running call finish.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { accessKeys } from "../../src/config/config.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { type App, buildApp } from "../../src/server/app.ts";
import { type GrpcServerHandle, startGrpcServer } from "../../src/server/protocols/grpc/server.ts";
import { LINEAR_ROW, linear, silent } from "../helpers.ts";
import { call, callOk, contentsValues, decodeRaw, type OipClient, oipClient, rawFp32 } from "./oip.ts";

const TREE = new URL("../../examples/iris/models/decision_tree.joblib", import.meta.url).pathname;
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

/** Waits `ms`, then sums: a slow model to watch a graceful close. */
const slow = defineModel({
  name: "slow",
  version: "1",
  inputs: { x: "float" },
  predict: async (rows) => {
    await new Promise((r) => setTimeout(r, 400));
    return rows.map((r) => (r.x as number) * 2);
  },
});

let app: App;
let registry: ModelRegistry;
let server: GrpcServerHandle;
let client: OipClient;

before(async () => {
  registry = new ModelRegistry();
  registry.register("iris", "1", await loadModel(TREE));
  registry.register("linear", "1", loadDefinition(linear));
  app = buildApp(registry, { logger: silent, maxBatchSize: 50 });
  server = await startGrpcServer(app.context, { host: "127.0.0.1", port: 0, logger: silent });
  client = oipClient(server.port);
});
after(async () => {
  client.close();
  await server.close(1000);
  await app.fastify.close();
  await registry.close();
});

const fp32Matrix = (rows: number[][]) => ({
  inputs: [{ name: "input-0", datatype: "FP32", shape: [rows.length, rows[0].length] }],
  raw_input_contents: [rawFp32(rows.flat())],
});

describe("V2 gRPC: health and metadata", () => {
  it("ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata", async () => {
    assert.deepEqual(await callOk(client, "ServerLive", {}), { live: true });
    assert.deepEqual(await callOk(client, "ServerReady", {}), { ready: true });
    const meta = await callOk<{ name: string; extensions: string[] }>(client, "ServerMetadata", {});
    assert.equal(meta.name, "modelserve");
    assert.deepEqual(await callOk(client, "ModelReady", { name: "iris" }), { ready: true });
    assert.deepEqual(await callOk(client, "ModelReady", { name: "iris", version: "1" }), { ready: true });
    const m = await callOk<{
      name: string;
      platform: string;
      inputs: unknown[];
      outputs: unknown[];
      versions: string[];
    }>(client, "ModelMetadata", { name: "iris" });
    assert.equal(m.platform, "sklearn");
    assert.deepEqual(m.versions, ["1"]);
    assert.deepEqual(m.inputs[0], { name: "sepal_length", datatype: "FP64", shape: [-1] });
    assert.deepEqual(m.outputs[1], { name: "predict_proba", datatype: "FP64", shape: [-1, 3] });
    const missing = await call(client, "ModelMetadata", { name: "nope" });
    assert.ok(!missing.ok);
    assert.equal(missing.code, status.NOT_FOUND);
    assert.equal(missing.msCode, "MS_MODEL_NOT_FOUND");
    const v = await call(client, "ModelReady", { name: "iris", version: "7" });
    assert.ok(!v.ok && v.code === status.NOT_FOUND && v.msCode === "MS_VERSION_NOT_FOUND");
  });
});

describe("V2 gRPC: inference", () => {
  it("raw FP32 in gives raw out; typed FP32 in gives typed out; same values", async () => {
    const raw = await callOk<{
      outputs: { name: string; datatype: string; shape: number[] }[];
      raw_output_contents: Buffer[];
    }>(client, "ModelInfer", { model_name: "iris", ...fp32Matrix(ROWS) });
    assert.deepEqual(
      raw.outputs.map((o) => [o.name, o.datatype, o.shape]),
      [
        ["predict", "BYTES", [2]],
        ["predict_proba", "FP64", [2, 3]],
      ],
    );
    assert.deepEqual(decodeRaw("BYTES", raw.raw_output_contents[0]), ["setosa", "virginica"]);
    const typed = await callOk<{
      outputs: { datatype: string; contents: Record<string, unknown[]> }[];
      raw_output_contents: Buffer[];
    }>(client, "ModelInfer", {
      model_name: "iris",
      model_version: "1",
      inputs: [
        { name: "input-0", datatype: "FP32", shape: [2, 4], contents: { fp32_contents: ROWS.flat() } },
      ],
      outputs: [{ name: "predict_proba" }],
    });
    assert.equal(typed.raw_output_contents.length, 0);
    assert.equal(typed.outputs.length, 1);
    assert.deepEqual(
      contentsValues(typed.outputs[0] as never),
      decodeRaw("FP64", raw.raw_output_contents[1]),
    );
  });

  it("every integer width, BOOL and BYTES, typed and raw, reach the model as the same row", async () => {
    const native = await app.fastify.inject({
      method: "POST",
      url: "/models/linear/predict",
      payload: LINEAR_ROW,
    });
    const want = native.json().prediction;
    const utf8 = (s: string) => Buffer.from(s, "utf8");
    const lenPrefixed = (s: string) => {
      const b = utf8(s);
      const out = Buffer.alloc(4 + b.length);
      out.writeUInt32LE(b.length, 0);
      b.copy(out, 4);
      return out;
    };
    for (const [intType, field, rawInt] of [
      ["INT8", "int_contents", Buffer.from(Int8Array.of(3).buffer)],
      ["INT16", "int_contents", Buffer.from(Int16Array.of(3).buffer)],
      ["INT32", "int_contents", Buffer.from(Int32Array.of(3).buffer)],
      ["INT64", "int64_contents", Buffer.from(BigInt64Array.of(3n).buffer)],
      ["UINT8", "uint_contents", Buffer.from(Uint8Array.of(3).buffer)],
      ["UINT16", "uint_contents", Buffer.from(Uint16Array.of(3).buffer)],
      ["UINT32", "uint_contents", Buffer.from(Uint32Array.of(3).buffer)],
      ["UINT64", "uint64_contents", Buffer.from(BigUint64Array.of(3n).buffer)],
    ] as const) {
      const typed = await callOk<{ outputs: { datatype: string; contents: Record<string, unknown[]> }[] }>(
        client,
        "ModelInfer",
        {
          model_name: "linear",
          inputs: [
            { name: "a", datatype: "FP64", shape: [1], contents: { fp64_contents: [1.5] } },
            { name: "b", datatype: "FP64", shape: [1], contents: { fp64_contents: [Number.NaN] } },
            { name: "color", datatype: "BYTES", shape: [1], contents: { bytes_contents: [utf8("red")] } },
            { name: "n", datatype: intType, shape: [1], contents: { [field]: [3] } },
            { name: "flag", datatype: "BOOL", shape: [1, 1], contents: { bool_contents: [true] } },
            { name: "note", datatype: "BYTES", shape: [1], contents: { bytes_contents: [utf8("x")] } },
          ],
        },
      );
      assert.deepEqual(contentsValues(typed.outputs[0] as never), [want], intType);
      const raw = await callOk<{ outputs: { datatype: string }[]; raw_output_contents: Buffer[] }>(
        client,
        "ModelInfer",
        {
          model_name: "linear",
          inputs: [
            { name: "a", datatype: "FP16", shape: [1] },
            { name: "b", datatype: "FP32", shape: [1] },
            { name: "color", datatype: "BYTES", shape: [1] },
            { name: "n", datatype: intType, shape: [1] },
            { name: "flag", datatype: "BOOL", shape: [1] },
            { name: "note", datatype: "BYTES", shape: [1] },
          ],
          raw_input_contents: [
            Buffer.from([0x00, 0x3e]), // 1.5 in IEEE half precision
            rawFp32([Number.NaN]),
            lenPrefixed("red"),
            rawInt,
            Buffer.from([1]),
            lenPrefixed("x"),
          ],
        },
      );
      assert.deepEqual(
        decodeRaw(raw.outputs[0].datatype, raw.raw_output_contents[0]),
        [want],
        `${intType} raw`,
      );
    }
  });
});

describe("V2 gRPC: bad tensors are INVALID_ARGUMENT with the MS code", () => {
  const cases: [string, object, RegExp, string?][] = [
    [
      "wrong datatype",
      {
        inputs: [{ name: "x", datatype: "FP128", shape: [1, 4] }],
        raw_input_contents: [rawFp32([1, 2, 3, 4])],
      },
      /unknown datatype "FP128"/,
    ],
    [
      "data in the wrong contents field",
      { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], contents: { fp64_contents: [1, 2, 3, 4] } }] },
      /carries its data in fp32_contents, not in fp64_contents/,
    ],
    [
      "shape/data mismatch (typed)",
      { inputs: [{ name: "x", datatype: "FP64", shape: [2, 4], contents: { fp64_contents: [1, 2, 3, 4] } }] },
      /shape \[2, 4\] has 8 elements but the data holds 4/,
    ],
    [
      "raw bytes not whole elements",
      { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }], raw_input_contents: [Buffer.alloc(15)] },
      /15 bytes are not whole FP32 elements/,
    ],
    [
      "a 10^7-element shape over 16 raw bytes",
      {
        inputs: [{ name: "x", datatype: "FP32", shape: [10_000_000, 4] }],
        raw_input_contents: [rawFp32([1, 2, 3, 4])],
      },
      /40000000 elements but the data holds 4/,
    ],
    [
      "NaN in a feature without missing values",
      {
        inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }],
        raw_input_contents: [rawFp32([1, Number.NaN, 3, 4])],
      },
      /element 1 is NaN but feature "sepal_width" does not accept missing values/,
    ],
    [
      "an unknown input",
      {
        inputs: [
          { name: "sepal_length", datatype: "FP64", shape: [1], contents: { fp64_contents: [1] } },
          { name: "colour", datatype: "FP64", shape: [1], contents: { fp64_contents: [1] } },
        ],
      },
      /tensor "colour": is not an input of this model/,
    ],
    [
      "raw and typed together",
      {
        inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
        raw_input_contents: [rawFp32([1, 2, 3, 4])],
      },
      /either in contents or in raw_input_contents/,
    ],
    [
      "fewer raw buffers than inputs",
      {
        inputs: [
          { name: "a", datatype: "FP32", shape: [1] },
          { name: "b", datatype: "FP32", shape: [1] },
        ],
        raw_input_contents: [rawFp32([1])],
      },
      /holds 1 buffers for 2 inputs/,
      "MS_INVALID_INFER_REQUEST",
    ],
    [
      "an unknown output",
      {
        inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }],
        raw_input_contents: [rawFp32([1, 2, 3, 4])],
        outputs: [{ name: "logits" }],
      },
      /no output "logits"/,
      "MS_INVALID_INFER_REQUEST",
    ],
    [
      "FP16 in typed contents",
      { inputs: [{ name: "x", datatype: "FP16", shape: [1, 4] }] },
      /FP16 travels only in raw_input_contents/,
    ],
  ];
  for (const [what, req, message, code] of cases) {
    it(what, async () => {
      const r = await call(client, "ModelInfer", { model_name: "iris", ...req });
      assert.ok(!r.ok, "refused");
      assert.equal(r.code, status.INVALID_ARGUMENT, r.details);
      assert.equal(r.msCode, code ?? "MS_INVALID_TENSOR");
      assert.match(r.details, message);
    });
  }

  it("BYTES that are not UTF-8, typed and raw", async () => {
    const bad = Buffer.from([0xc3, 0x28]);
    const one = (name: string, datatype: string, contents: object) => ({
      name,
      datatype,
      shape: [1],
      contents,
    });
    const typed = await call(client, "ModelInfer", {
      model_name: "linear",
      inputs: [one("note", "BYTES", { bytes_contents: [bad] })],
    });
    assert.ok(!typed.ok && typed.code === status.INVALID_ARGUMENT);
    assert.match(typed.details, /BYTES element 0 is not valid UTF-8 text/);
    const prefixed = Buffer.concat([Buffer.from([2, 0, 0, 0]), bad]);
    const raw = await call(client, "ModelInfer", {
      model_name: "linear",
      inputs: [{ name: "note", datatype: "BYTES", shape: [1] }],
      raw_input_contents: [prefixed],
    });
    assert.ok(!raw.ok && raw.code === status.INVALID_ARGUMENT);
    assert.match(raw.details, /not valid UTF-8/);
    const cut = await call(client, "ModelInfer", {
      model_name: "linear",
      inputs: [{ name: "note", datatype: "BYTES", shape: [1] }],
      raw_input_contents: [Buffer.from([9, 0, 0, 0, 65])],
    });
    assert.ok(!cut.ok && /runs past the end/.test(cut.details));
  });

  it("rows beyond maxBatchSize are RESOURCE_EXHAUSTED; a missing model NOT_FOUND", async () => {
    const big = await call(client, "ModelInfer", {
      model_name: "iris",
      ...fp32Matrix(Array.from({ length: 51 }, () => ROWS[0])),
    });
    assert.ok(!big.ok && big.code === status.RESOURCE_EXHAUSTED && big.msCode === "MS_BATCH_TOO_LARGE");
    const none = await call(client, "ModelInfer", { model_name: "nope", ...fp32Matrix(ROWS) });
    assert.ok(!none.ok && none.code === status.NOT_FOUND);
    const unnamed = await call(client, "ModelInfer", fp32Matrix(ROWS));
    assert.ok(
      !unnamed.ok &&
        unnamed.code === status.INVALID_ARGUMENT &&
        /model_name is required/.test(unnamed.details),
    );
  });
});

describe("V2 gRPC: metrics", () => {
  it("counts calls by method, model and status", async () => {
    await callOk(client, "ModelInfer", { model_name: "iris", ...fp32Matrix(ROWS) });
    const text = (await app.fastify.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(
      text,
      /modelserve_http_requests_total\{model="iris",version="1",route="\/inference.GRPCInferenceService\/ModelInfer",status="200"\} [1-9]/,
    );
    assert.match(text, /route="\/inference.GRPCInferenceService\/ModelInfer",status="400"\} [1-9]/);
  });
});

describe("V2 gRPC: API keys in metadata", () => {
  it("infer needs a predict key, metadata a read key; live and ready stay open", async () => {
    const reg = new ModelRegistry();
    reg.register("iris", "1", await loadModel(TREE));
    const secured = buildApp(reg, {
      logger: silent,
      access: {
        keys: accessKeys({
          apiKeys: "reader:reader-key-0123456789abcdef:read,caller:caller-key-0123456789abcdef:predict",
        }),
      },
    });
    const s = await startGrpcServer(secured.context, { host: "127.0.0.1", port: 0, logger: silent });
    const c = oipClient(s.port);
    try {
      assert.deepEqual(await callOk(c, "ServerLive", {}), { live: true });
      assert.deepEqual(await callOk(c, "ServerReady", {}), { ready: true });
      const anon = await call(c, "ModelInfer", { model_name: "iris", ...fp32Matrix(ROWS) });
      assert.ok(!anon.ok && anon.code === status.UNAUTHENTICATED && anon.msCode === "MS_UNAUTHORIZED");
      const wrong = await call(
        c,
        "ModelInfer",
        { model_name: "iris", ...fp32Matrix(ROWS) },
        { authorization: "Bearer nope-0123456789abcdef" },
      );
      assert.ok(!wrong.ok && wrong.code === status.UNAUTHENTICATED);
      const reader = await call(
        c,
        "ModelInfer",
        { model_name: "iris", ...fp32Matrix(ROWS) },
        { "x-api-key": "reader-key-0123456789abcdef" },
      );
      assert.ok(!reader.ok && reader.code === status.PERMISSION_DENIED && reader.msCode === "MS_FORBIDDEN");
      await callOk(
        c,
        "ModelInfer",
        { model_name: "iris", ...fp32Matrix(ROWS) },
        { authorization: "Bearer caller-key-0123456789abcdef" },
      );
      const meta = await call(c, "ModelMetadata", { name: "iris" });
      assert.ok(!meta.ok && meta.code === status.UNAUTHENTICATED);
      await callOk(c, "ModelMetadata", { name: "iris" }, { "x-api-key": "reader-key-0123456789abcdef" });
    } finally {
      c.close();
      await s.close(1000);
      await secured.fastify.close();
      await reg.close();
    }
  });
});

describe("V2 gRPC: graceful close", () => {
  it("a running call finishes, readiness turns false, new calls are refused", async () => {
    const reg = new ModelRegistry();
    reg.register("slow", "1", loadDefinition(slow));
    const a = buildApp(reg, { logger: silent });
    const s = await startGrpcServer(a.context, { host: "127.0.0.1", port: 0, logger: silent });
    const c = oipClient(s.port);
    try {
      const running = call<{ outputs: { contents: Record<string, unknown[]> }[] }>(c, "ModelInfer", {
        model_name: "slow",
        inputs: [{ name: "x", datatype: "FP64", shape: [1], contents: { fp64_contents: [21] } }],
      });
      await new Promise((r) => setTimeout(r, 100));
      a.context.shuttingDown = true;
      assert.deepEqual(await callOk(c, "ServerReady", {}), { ready: false });
      const closing = s.close(5000);
      const done = await running;
      assert.ok(done.ok, "the running call was answered");
      assert.deepEqual(done.value.outputs[0].contents.fp64_contents, [42]);
      await closing;
      const after = await call(c, "ServerLive", {});
      assert.ok(!after.ok && after.code === status.UNAVAILABLE);
    } finally {
      c.close();
      await a.fastify.close();
      await reg.close();
    }
  });
});

describe("V2 gRPC: routing", () => {
  it("x-routing-key metadata keeps a client on one arm of a split, as over HTTP", async () => {
    const reg = new ModelRegistry();
    reg.register("iris", "1", await loadModel(TREE));
    reg.register("iris", "2", await loadModel(TREE));
    reg.setSplit("iris", [
      { version: "1", weight: 1 },
      { version: "2", weight: 1 },
    ]);
    const a = buildApp(reg, { logger: silent });
    const s = await startGrpcServer(a.context, { host: "127.0.0.1", port: 0, logger: silent });
    const c = oipClient(s.port);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const key = `client-${i}`;
        const g = await callOk<{ model_version: string }>(
          c,
          "ModelInfer",
          { model_name: "iris", ...fp32Matrix(ROWS) },
          { "x-routing-key": key },
        );
        const http = await a.fastify.inject({
          method: "POST",
          url: "/models/iris/predict",
          payload: { features: ROWS[0] },
          headers: { "x-routing-key": key },
        });
        assert.equal(g.model_version, http.json().version, key);
        seen.add(g.model_version);
      }
      assert.deepEqual([...seen].sort(), ["1", "2"]);
      const empty = await call(c, "ModelInfer", {
        model_name: "iris",
        inputs: [{ name: "x", datatype: "FP32", shape: [0, 4] }],
        raw_input_contents: [Buffer.alloc(0)],
      });
      assert.ok(!empty.ok && empty.code === status.INVALID_ARGUMENT && /has no rows/.test(empty.details));
    } finally {
      c.close();
      await s.close(1000);
      await a.fastify.close();
      await reg.close();
    }
  });
});
