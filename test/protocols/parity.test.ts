/**
 * @module Protocol parity: the same rows through native JSON (`/predict/batch`), V2 REST (both tabular
 * conventions), V2 gRPC (typed and raw contents, with a client generated from the vendored proto) and
 * KServe V1 give identical outputs, for scikit-learn, XGBoost, LightGBM, ONNX and TypeScript models.
 * The native answers are first checked against the reference library's recorded predictions.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import type { FeatureSpec, ModelSignature } from "../../src/runtimes/runtime.ts";
import { columnsToRows } from "../../src/schema/rows-file.ts";
import { buildApp } from "../../src/server/app.ts";
import { type GrpcServerHandle, startGrpcServer } from "../../src/server/protocols/grpc/server.ts";
import { silent } from "../helpers.ts";
import {
  assertOipAnswer,
  assertOipSchema,
  callOk,
  contentsValues,
  decodeRaw,
  type OipClient,
  oipClient,
  rawFp64,
} from "./oip.ts";

const fx = fileURLToPath(new URL("../fixtures/", import.meta.url));
const examples = fileURLToPath(new URL("../../examples/iris/", import.meta.url));
const json = (p: string) => JSON.parse(readFileSync(p, "utf8"));

interface Case {
  readonly name: string;
  readonly file: string;
  /** Recorded inputs and the reference library's outputs (absent for the TypeScript model). */
  readonly dir?: string;
  readonly rows?: unknown[];
}

const CASES: Case[] = [
  { name: "sklearn", dir: "sklearn/1.9.1/trees-rf-wine", file: "model.joblib" },
  { name: "xgboost", dir: "xgboost/multi_softprob_wine", file: "model.json" },
  { name: "xgboost-nan", dir: "xgboost/missing_nan_regressor", file: "model.json" },
  { name: "lightgbm", dir: "lightgbm/iris_multiclass", file: "model.txt" },
  { name: "lightgbm-reg", dir: "lightgbm/diabetes_regression", file: "model.txt" },
  { name: "onnx", dir: "onnx/skl2onnx/iris_random_forest_zipmap", file: "model.onnx" },
  { name: "onnx-graph", dir: "onnx/torch/two_inputs", file: "model.onnx" },
  {
    name: "typescript",
    file: join(examples, "heuristic.ts"),
    rows: [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
      [5.9, 3.0, 4.2, 1.5],
      [4.9, 2.5, 4.5, 1.7],
    ],
  },
];

/** A row's value of one feature (named or positional rows). */
const featureValueOf = (row: unknown, f: FeatureSpec, i: number): unknown =>
  Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[f.name];

const flatDeep = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flatDeep) : [v]);

/** One V2 input tensor per feature, FP64 (nulls stay null in JSON). */
function perFeatureInputs(sig: ModelSignature, rows: readonly unknown[]) {
  return sig.inputs.map((f, i) => ({
    name: f.name,
    datatype: "FP64",
    shape: f.dtype === "tensor" ? [rows.length, ...(f.shape ?? [])] : [rows.length],
    data: rows.flatMap((r) => flatDeep(featureValueOf(r, f, i))),
  }));
}

/** The `[N, F]` convention, for models whose features are all scalars. */
function matrixInputs(sig: ModelSignature, rows: readonly unknown[]) {
  if (sig.inputs.some((f) => f.dtype === "tensor")) return undefined;
  return [
    {
      name: "input-0",
      datatype: "FP64",
      shape: [rows.length, sig.inputs.length],
      data: rows.flatMap((r) => sig.inputs.map((f, i) => featureValueOf(r, f, i))),
    },
  ];
}

/** The same tensors for gRPC: typed FP64 contents (NaN for missing) or raw little-endian bytes. */
function grpcInputs(inputs: { name: string; shape: number[]; data: unknown[] }[], raw: boolean) {
  const nums = (d: unknown[]) => d.map((x) => (x === null ? Number.NaN : (x as number)));
  if (raw)
    return {
      inputs: inputs.map((t) => ({ name: t.name, datatype: "FP64", shape: t.shape })),
      raw_input_contents: inputs.map((t) => rawFp64(nums(t.data))),
    };
  return {
    inputs: inputs.map((t) => ({
      name: t.name,
      datatype: "FP64",
      shape: t.shape,
      contents: { fp64_contents: nums(t.data) },
    })),
  };
}

type Tensor = { name: string; datatype: string; shape: number[]; data: unknown[] };

/** NaN (binary forms) and null (JSON) both mean "no number". */
const jsonish = (values: unknown[]) =>
  values.map((v) => (typeof v === "number" && Number.isNaN(v) ? null : v));

let registry: ModelRegistry;
let fastify: FastifyInstance;
let grpcServer: GrpcServerHandle;
let client: OipClient;

before(async () => {
  registry = new ModelRegistry();
  for (const c of CASES)
    registry.register(c.name, "1", await loadModel(c.dir ? join(fx, c.dir, c.file) : c.file));
  const app = buildApp(registry, { logger: silent });
  fastify = app.fastify;
  // The gRPC service shares the HTTP app's context (registry, limits, metrics).
  grpcServer = await startGrpcServer(app.context, { host: "127.0.0.1", port: 0, logger: silent });
  client = oipClient(grpcServer.port);
});

after(async () => {
  client?.close();
  await grpcServer?.close(1000);
  await fastify.close();
  await registry.close();
});

describe("protocol parity: native JSON = V2 REST = V2 gRPC (typed, raw) = V1", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const v = registry.resolve(c.name);
      const sig = v.model.signature;
      const expected = c.dir ? json(join(fx, c.dir, "expected.json")) : undefined;
      const raw = c.rows ?? json(join(fx, c.dir!, "inputs.json"));
      const rows: unknown[] = Array.isArray(raw) ? raw : columnsToRows(raw)!;

      // Native JSON, checked against the reference library first.
      const native = await fastify.inject({
        method: "POST",
        url: `/models/${c.name}/predict/batch`,
        payload: { instances: rows },
      });
      assert.equal(native.statusCode, 200, native.body);
      const nb = native.json();
      if (expected?.predict && sig.output.task !== "other") {
        const tol = (a: number, b: number) =>
          Math.abs(a - b) <= Math.max(expected.abs ?? 0, (expected.rel ?? 0) * Math.abs(b));
        nb.predictions.forEach((p: unknown, i: number) => {
          const e = expected.predict[i];
          if (typeof e === "number" && typeof p === "number")
            assert.ok(tol(p, e), `${c.name} row ${i}: ${p} vs ${e}`);
          else assert.deepEqual(p, e, `${c.name} row ${i}`);
        });
      }
      const classes = sig.output.classes;

      // V2 REST, both conventions.
      const bodies = [perFeatureInputs(sig, rows), matrixInputs(sig, rows)].filter((x) => x !== undefined);
      let rest: Tensor[] | undefined;
      for (const inputs of bodies) {
        const res = await fastify.inject({
          method: "POST",
          url: `/v2/models/${c.name}/infer`,
          payload: { id: "parity", inputs },
        });
        assert.equal(res.statusCode, 200, res.body);
        assertOipAnswer("POST", `/v2/models/${c.name}/infer`, 200, res.json());
        const outs = res.json().outputs as Tensor[];
        if (rest) assert.deepEqual(outs, rest, `${c.name}: both tabular conventions agree`);
        rest = outs;
      }
      assert.ok(rest);
      const byName = new Map(rest.map((t) => [t.name, t]));

      if (sig.output.task === "other") {
        // A graph's own outputs: each row's record of the native answer, flattened, is the tensor's data.
        for (const t of rest) {
          assert.deepEqual(
            t.data,
            nb.predictions.flatMap((p: Record<string, unknown>) => flatDeep(p[t.name])),
            `${c.name}: ${t.name}`,
          );
          assert.equal(t.shape[0], rows.length);
        }
      } else {
        assert.deepEqual(byName.get("predict")!.data, nb.predictions.flatMap(flatDeep), `${c.name}: predict`);
        assert.deepEqual(byName.get("predict")!.shape[0], rows.length);
        if (classes) {
          const proba = byName.get("predict_proba")!;
          assert.deepEqual(proba.shape, [rows.length, classes.length]);
          assert.deepEqual(
            proba.data,
            nb.probabilities.flatMap((p: Record<string, number>) => classes.map((k) => p[String(k)])),
            `${c.name}: predict_proba`,
          );
        }
      }

      // V2 gRPC, typed and raw contents, per feature.
      const tensors = perFeatureInputs(sig, rows);
      for (const rawMode of [false, true]) {
        const res = await callOk<{
          model_name: string;
          id: string;
          outputs: { name: string; datatype: string; shape: number[]; contents: Record<string, unknown[]> }[];
          raw_output_contents: Buffer[];
        }>(client, "ModelInfer", { model_name: c.name, id: "parity", ...grpcInputs(tensors, rawMode) });
        assert.equal(res.model_name, c.name);
        assert.equal(res.id, "parity");
        const outs = res.outputs.map((o, i) => ({
          name: o.name,
          datatype: o.datatype,
          shape: o.shape,
          data: jsonish(rawMode ? decodeRaw(o.datatype, res.raw_output_contents[i]) : contentsValues(o)),
        }));
        assert.equal(res.raw_output_contents.length, rawMode ? outs.length : 0);
        assert.deepEqual(outs, rest, `${c.name}: gRPC ${rawMode ? "raw" : "typed"} = REST`);
      }

      // KServe V1.
      const v1 = await fastify.inject({
        method: "POST",
        url: `/v1/models/${c.name}:predict`,
        payload: { instances: rows },
      });
      assert.equal(v1.statusCode, 200, v1.body);
      assert.deepEqual(v1.json(), { predictions: nb.predictions }, `${c.name}: V1`);
    });
  }
});

describe("the OpenAPI check itself", () => {
  it("refuses the native error shape and an output without data", () => {
    assert.throws(() =>
      assertOipSchema("inference_error_response", { error: { code: "MS_X", message: "m" } }),
    );
    assert.throws(() =>
      assertOipSchema("inference_response", {
        model_name: "m",
        outputs: [{ name: "p", shape: [1], datatype: "FP64" }],
      }),
    );
    assertOipSchema("inference_error_response", { error: "m", code: "MS_X" });
  });
});
