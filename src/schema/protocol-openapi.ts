/**
 * @module OpenAPI paths and schemas of the protocol front ends: Open Inference Protocol V2
 * (`/v2/...`) and KServe V1 (`/v1/models/...`), for the live `/openapi.json`. The tensor shapes follow
 * the specification; the examples are built from the default model's real inputs.
 */

import type { FeatureSpec, ModelSignature } from "../runtimes/runtime.ts";
import { exampleValue } from "./json-schema.ts";

/** What the paths depend on. */
export interface ProtocolOpenApiOptions {
  /** The default model's name and signature, for examples (none: generic examples). */
  readonly example?: { readonly name: string; readonly signature: ModelSignature };
  /** API keys are on: the V2 probes are marked open. */
  readonly apiKeys?: boolean;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const v2Error = (description: string) => json(ref("V2Error"), description);
const nameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };
const versionParam = { name: "version", in: "path", required: true, schema: { type: "string" } };

const scalar = { type: ["number", "string", "boolean", "null"] };
/**
 * Values nested up to `depth` arrays deep, spelled out rather than self-referencing: a recursive
 * schema makes some generators (openapi-typescript) emit a type that refers to itself.
 */
const nested = (depth: number): Record<string, unknown> =>
  depth === 0 ? scalar : { anyOf: [scalar, { type: "array", items: nested(depth - 1) }] };
const tensorData = {
  type: "array",
  description: "Row-major values, flat or nested to the shape (up to 6 levels)",
  items: nested(5),
};
const datatype = {
  type: "string",
  enum: [
    "BOOL",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "FP16",
    "FP32",
    "FP64",
    "BYTES",
  ],
};
const parameters = {
  type: "object",
  additionalProperties: { type: ["string", "number", "boolean"] },
};
const metadataTensor = {
  type: "object",
  properties: { name: { type: "string" }, datatype, shape: { type: "array", items: { type: "integer" } } },
  required: ["name", "datatype", "shape"],
};

/** Component schemas the protocol paths reference. */
export const PROTOCOL_SCHEMAS: Readonly<Record<string, unknown>> = {
  V2Error: {
    type: "object",
    description:
      "Open Inference Protocol error; `code` is modelserve's stable MS_* code (also in `x-error-code`)",
    properties: { error: { type: "string" }, code: { type: "string" } },
    required: ["error"],
  },
  V2TensorData: tensorData,
  V2InferRequest: {
    type: "object",
    properties: {
      id: { type: "string", description: "Echoed in the answer" },
      parameters,
      inputs: {
        type: "array",
        description:
          "One [N, F] tensor with the features in model order, or one [N] (or [N, 1]) tensor per feature, named after it",
        items: {
          type: "object",
          properties: {
            name: { type: "string" },
            shape: { type: "array", items: { type: "integer", minimum: 0 } },
            datatype,
            parameters,
            data: tensorData,
          },
          required: ["name", "shape", "datatype", "data"],
        },
      },
      outputs: {
        type: "array",
        description: "Outputs to return, in this order (default: predict, and predict_proba for classifiers)",
        items: { type: "object", properties: { name: { type: "string" }, parameters }, required: ["name"] },
      },
    },
    required: ["inputs"],
  },
  V2InferResponse: {
    type: "object",
    properties: {
      model_name: { type: "string" },
      model_version: { type: "string" },
      id: { type: "string" },
      parameters,
      outputs: {
        type: "array",
        items: {
          type: "object",
          properties: {
            name: { type: "string" },
            shape: { type: "array", items: { type: "integer" } },
            datatype,
            parameters,
            data: tensorData,
          },
          required: ["name", "shape", "datatype", "data"],
        },
      },
    },
    required: ["model_name", "outputs"],
  },
  V2ModelMetadata: {
    type: "object",
    properties: {
      name: { type: "string" },
      versions: { type: "array", items: { type: "string" } },
      platform: { type: "string" },
      inputs: { type: "array", items: metadataTensor },
      outputs: { type: "array", items: metadataTensor },
      properties: { type: "object", additionalProperties: { type: "string" } },
    },
    required: ["name", "platform"],
  },
};

/** An example infer request for a signature: one tensor per feature, two rows. */
function exampleRequest(sig: ModelSignature): Record<string, unknown> {
  const dt = (f: FeatureSpec) =>
    f.dtype === "string" || (f.dtype === "category" && typeof exampleValue(f) === "string")
      ? "BYTES"
      : f.dtype === "bool"
        ? "BOOL"
        : f.dtype === "int"
          ? "INT64"
          : "FP64";
  const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  return {
    id: "example-1",
    inputs: sig.inputs.map((f) => ({
      name: f.name,
      shape: f.dtype === "tensor" ? [2, ...(f.shape ?? [])] : [2],
      datatype: dt(f),
      data: [...flat(exampleValue(f)), ...flat(exampleValue(f))],
    })),
  };
}

const GET = (summary: string, tag: string, responses: Record<string, unknown>, params?: unknown[]) => ({
  ...(params ? { parameters: params } : {}),
  get: { tags: [tag], summary, responses },
});

/** The V2 and V1 paths. */
export function protocolPaths(opts: ProtocolOpenApiOptions): Record<string, unknown> {
  const example = opts.example ? exampleRequest(opts.example.signature) : undefined;
  const open = opts.apiKeys ? { security: [] } : {};
  const infer = (params: unknown[]) => ({
    parameters: params,
    post: {
      tags: ["models"],
      summary: "Inference",
      description:
        "Tensors in, tensors out. Tabular models take one [N, F] tensor or one [N] tensor per named feature. Also over gRPC (inference.GRPCInferenceService/ModelInfer) when --grpc-port is set.",
      requestBody: {
        required: true,
        content: {
          "application/json": { schema: ref("V2InferRequest"), ...(example ? { example } : {}) },
        },
      },
      responses: {
        "200": json(ref("V2InferResponse"), "Outputs"),
        "400": v2Error("Bad tensor or request (MS_INVALID_TENSOR, MS_INVALID_INFER_REQUEST)"),
        "404": v2Error("Unknown model or version"),
        "413": v2Error("More rows than maxBatchSize"),
        "422": v2Error("Values the model refuses (MS_INVALID_INPUT)"),
        "503": v2Error("Model not ready, overloaded or timed out"),
      },
    },
  });
  const ready = (params: unknown[]) =>
    GET(
      "Model ready",
      "models",
      {
        "200": json(
          { type: "object", properties: { name: { type: "string" }, ready: { type: "boolean" } } },
          "Ready",
        ),
        "404": v2Error("Unknown model or version"),
        "503": json({ type: "object" }, "Not ready"),
      },
      params,
    );
  const metadata = (params: unknown[]) =>
    GET(
      "Model metadata",
      "models",
      {
        "200": json(ref("V2ModelMetadata"), "Inputs, outputs, versions, platform"),
        "404": v2Error("Unknown model"),
      },
      params,
    );
  return {
    "/v2": GET("Server metadata", "models", {
      "200": json(
        {
          type: "object",
          properties: {
            name: { type: "string" },
            version: { type: "string" },
            extensions: { type: "array" },
          },
        },
        "Name, version, extensions",
      ),
    }),
    "/v2/health/live": {
      get: {
        tags: ["models"],
        summary: "Server live",
        ...open,
        responses: { "200": { description: "Live" } },
      },
    },
    "/v2/health/ready": {
      get: {
        tags: ["health"],
        summary: "V2 server ready: every startup model loaded, not shutting down",
        ...open,
        responses: { "200": { description: "Ready" }, "503": { description: "Not ready" } },
      },
    },
    "/v2/models/{name}": metadata([nameParam]),
    "/v2/models/{name}/versions/{version}": metadata([nameParam, versionParam]),
    "/v2/models/{name}/ready": ready([nameParam]),
    "/v2/models/{name}/versions/{version}/ready": ready([nameParam, versionParam]),
    "/v2/models/{name}/infer": infer([nameParam]),
    "/v2/models/{name}/versions/{version}/infer": infer([nameParam, versionParam]),
    "/v1/models": GET("KServe V1: model names", "models", {
      "200": json(
        { type: "object", properties: { models: { type: "array", items: { type: "string" } } } },
        "Names",
      ),
    }),
    "/v1/models/{name}": GET(
      "KServe V1: model readiness",
      "models",
      {
        "200": json(
          { type: "object", properties: { name: { type: "string" }, ready: { type: "boolean" } } },
          "Ready",
        ),
        "404": v2Error("Unknown model"),
      },
      [nameParam],
    ),
    "/v1/models/{name}:predict": {
      parameters: [nameParam],
      post: {
        tags: ["models"],
        summary: "KServe V1 predict: instances (named or positional rows) in, predictions out",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: { instances: { type: "array", items: {} } },
                required: ["instances"],
              },
            },
          },
        },
        responses: {
          "200": json(
            {
              type: "object",
              properties: { predictions: { type: "array", items: {} } },
              required: ["predictions"],
            },
            "One prediction per instance",
          ),
          "400": v2Error("Malformed request"),
          "422": v2Error("Rows the model refuses"),
        },
      },
    },
  };
}
