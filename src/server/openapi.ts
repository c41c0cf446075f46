/**
 * @module The OpenAPI 3.1 document, generated from the live registry: the generic routes plus one set
 * of paths per model with its real field names, types, enums and examples.
 */

import { errorCatalogue } from "../errors.ts";
import type { ModelRegistry, ReadyVersion } from "../registry/model-registry.ts";
import type { ModelSignature } from "../runtimes/runtime.ts";
import {
  batchRequestSchema,
  exampleRow,
  type JsonSchema,
  predictionSchema,
  probabilitiesSchema,
  singleRequestSchema,
} from "../schema/json-schema.ts";
import { PROTOCOL_SCHEMAS, protocolPaths } from "../schema/protocol-openapi.ts";
import type { ModelExample } from "./openapi-examples.ts";
import { explainPaths } from "./openapi-explain.ts";

/** Options of the document. */
export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly maxBatchSize: number;
  /** Path prefix the routes are mounted under (embedded use). */
  readonly prefix?: string;
  /** API keys are on: declare the schemes (so Swagger UI's Authorize works); probes stay open. */
  readonly apiKeys?: boolean;
  /** Example rows and the models' real answers, keyed `name@version` (see `examplesOf`). */
  readonly examples?: ReadonlyMap<string, ModelExample>;
}

/** One example error body per status, with a code that status really carries. */
const errorResponse = (description: string, code: string, message: string) => ({
  description,
  content: {
    "application/json": {
      schema: { $ref: "#/components/schemas/Error" },
      example: { error: { code, message }, requestId: "3f2a9c1e-000001" },
    },
  },
});

const ERRORS = {
  "400": errorResponse(
    "Malformed request (bad JSON, body not an object, empty batch)",
    "MS_MALFORMED_JSON",
    "the body is not valid JSON: Unexpected end of JSON input",
  ),
  "404": errorResponse("Unknown model or version", "MS_MODEL_NOT_FOUND", 'no model named "churn"'),
  "413": errorResponse(
    "Body or batch larger than the limit",
    "MS_BATCH_TOO_LARGE",
    "the batch has 5000 rows; the limit is 1000",
  ),
  "415": errorResponse(
    "Content type is not application/json",
    "MS_UNSUPPORTED_MEDIA_TYPE",
    "send Content-Type: application/json",
  ),
  "503": errorResponse(
    "Model not ready, or server shutting down",
    "MS_MODEL_NOT_READY",
    'model "churn" is loading',
  ),
};

/** The 422 answer for a model: a real issue on its first feature. */
function invalidInput(sig: ModelSignature) {
  const f = sig.inputs[0];
  const issue = f
    ? { code: "MISSING_FEATURE", field: f.name, message: `missing feature "${f.name}"` }
    : { code: "ROW_NOT_OBJECT", field: "", message: "expected a row" };
  return {
    description: "Input does not match the model's schema (details.issues lists every problem)",
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/Error" },
        example: {
          error: { code: "MS_INVALID_INPUT", message: issue.message, details: { issues: [issue] } },
          requestId: "3f2a9c1e-000002",
        },
      },
    },
  };
}

function json(schema: JsonSchema, example?: unknown) {
  return { "application/json": example === undefined ? { schema } : { schema, example } };
}

function modelPaths(
  v: ReadyVersion,
  opts: OpenApiOptions,
  prefix: string,
  tag: string,
  /** Operation ids: unique across a model's versioned and default paths, stable for generated clients. */
  idBase = tag,
): Record<string, unknown> {
  const sig = v.model.signature;
  const ex = opts.examples?.get(`${v.name}@${v.version}`);
  const row = ex?.row ?? exampleRow(sig);
  const errors = { ...ERRORS, "422": invalidInput(sig) };
  const answered = ex !== undefined && "prediction" in ex;
  const who = { model: v.name, version: v.version };
  const singleExample = answered
    ? { ...who, prediction: ex.prediction, ...(ex.probabilities ? { probabilities: ex.probabilities } : {}) }
    : undefined;
  const batchExample = answered
    ? {
        ...who,
        predictions: [ex.prediction, ex.prediction],
        ...(ex.probabilities ? { probabilities: [ex.probabilities, ex.probabilities] } : {}),
      }
    : undefined;
  const hasProba = sig.capabilities.predictProba;
  const meta = {
    model: { type: "string", examples: [v.name] },
    version: { type: "string", examples: [v.version] },
  };
  const single = {
    type: "object",
    properties: {
      ...meta,
      prediction: predictionSchema(sig),
      ...(hasProba ? { probabilities: probabilitiesSchema(sig) } : {}),
    },
    required: ["model", "version", "prediction"],
  };
  const batch = {
    type: "object",
    properties: {
      ...meta,
      predictions: { type: "array", items: predictionSchema(sig) },
      ...(hasProba ? { probabilities: { type: "array", items: probabilitiesSchema(sig) } } : {}),
    },
    required: ["model", "version", "predictions"],
  };
  const features = sig.inputs.map((f) => f.name).join(", ");
  const paths: Record<string, unknown> = {
    [`${prefix}/predict`]: {
      post: {
        tags: [tag],
        summary: `Predict one row with ${v.name}`,
        description: `Named features (${features}) or {"features": [...]} in that order.`,
        operationId: `predict_${idBase}`,
        requestBody: { required: true, content: json(singleRequestSchema(sig), row) },
        responses: {
          "200": { description: "The prediction", content: json(single, singleExample) },
          ...errors,
        },
      },
    },
    [`${prefix}/predict/batch`]: {
      post: {
        tags: [tag],
        summary: `Predict a batch of rows with ${v.name}`,
        operationId: `predict_batch_${idBase}`,
        requestBody: {
          required: true,
          content: json(batchRequestSchema(sig, opts.maxBatchSize), {
            instances: [row, sig.inputs.map((f) => row[f.name])],
          }),
        },
        responses: {
          "200": { description: "One prediction per row, in order", content: json(batch, batchExample) },
          ...errors,
        },
      },
    },
  };
  if (hasProba) {
    const classes = { type: "array", items: predictionSchema(sig) };
    paths[`${prefix}/predict_proba`] = {
      post: {
        tags: [tag],
        summary: `Class probabilities of one row with ${v.name}`,
        operationId: `predict_proba_${idBase}`,
        requestBody: { required: true, content: json(singleRequestSchema(sig), row) },
        responses: {
          "200": {
            description: "Probabilities by class",
            content: json(
              { type: "object", properties: { ...meta, classes, probabilities: probabilitiesSchema(sig) } },
              ex?.probabilities
                ? { ...who, classes: sig.output.classes, probabilities: ex.probabilities }
                : undefined,
            ),
          },
          ...errors,
        },
      },
    };
    paths[`${prefix}/predict_proba/batch`] = {
      post: {
        tags: [tag],
        summary: `Class probabilities of a batch with ${v.name}`,
        operationId: `predict_proba_batch_${idBase}`,
        requestBody: {
          required: true,
          content: json(batchRequestSchema(sig, opts.maxBatchSize), { instances: [row] }),
        },
        responses: {
          "200": {
            description: "Probabilities by class, one object per row",
            content: json(
              {
                type: "object",
                properties: {
                  ...meta,
                  classes,
                  probabilities: { type: "array", items: probabilitiesSchema(sig) },
                },
              },
              ex?.probabilities
                ? { ...who, classes: sig.output.classes, probabilities: [ex.probabilities] }
                : undefined,
            ),
          },
          ...errors,
        },
      },
    };
  }
  Object.assign(paths, explainPaths(v, opts.maxBatchSize, prefix, tag, ERRORS, idBase));
  return paths;
}

const GET = (summary: string, tag: string, description?: string) => ({
  get: {
    tags: [tag],
    summary,
    ...(description ? { description } : {}),
    responses: { "200": { description: "OK" } },
  },
});

/** The default model's name and signature, for the protocol examples. */
function exampleOf(registry: ModelRegistry, name: string | undefined) {
  if (name === undefined) return undefined;
  try {
    return { name, signature: registry.resolve(name).model.signature };
  } catch {
    return undefined;
  }
}

/**
 * Makes operation ids unique in document order (a later clash gets `_2`, `_3`, …): ids are built from
 * model names, and a model may be named like a route's own id (`default` is the default model's).
 */
function uniqueOperationIds(paths: Record<string, unknown>): void {
  const seen = new Set<string>();
  for (const item of Object.values(paths))
    for (const op of Object.values(item as Record<string, { operationId?: unknown }>)) {
      if (!op || typeof op !== "object" || typeof op.operationId !== "string") continue;
      let id = op.operationId;
      for (let n = 2; seen.has(id); n++) id = `${op.operationId}_${n}`;
      op.operationId = id;
      seen.add(id);
    }
}

/** Builds the document for the registry's current state. */
export function buildOpenApi(registry: ModelRegistry, opts: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    "/health": GET("Service summary: status, models, versions, feature counts, uptime", "health"),
    "/health/live": GET("Liveness: the process is up", "health"),
    "/health/ready": {
      get: {
        tags: ["health"],
        summary: "Readiness: 200 once every startup model is ready, 503 before that and while shutting down",
        responses: { "200": { description: "Ready" }, "503": { description: "Not ready" } },
      },
    },
    "/models": GET("Every model with its versions and states", "models"),
    "/models/{name}": {
      ...GET("One model: versions, default version, signatures", "models"),
      parameters: [nameParam],
    },
    "/models/{name}/versions/{version}": {
      ...GET("One version: state, signature, info", "models"),
      parameters: [nameParam, versionParam],
    },
  };
  const def = registry.defaultModel();
  const tags: { name: string; description: string }[] = [
    { name: "health", description: "Probes and status" },
    { name: "models", description: "What is loaded" },
  ];
  for (const name of registry.names()) {
    let ready: ReadyVersion | undefined;
    try {
      ready = registry.resolve(name);
    } catch {
      continue;
    }
    const tag = name;
    tags.push({
      name: tag,
      description: `Model ${name} (default version ${ready.version}; ${ready.model.info.modelType}, ${ready.model.info.framework})`,
    });
    Object.assign(paths, modelPaths(ready, opts, `/models/${name}`, tag));
    for (const v of registry.entries(name)) {
      if (v.state !== "ready") continue;
      Object.assign(
        paths,
        modelPaths(
          v as ReadyVersion,
          opts,
          `/models/${name}/versions/${v.version}`,
          tag,
          `${tag}@${v.version}`,
        ),
      );
    }
    if (name === def) Object.assign(paths, modelPaths(ready, opts, "", tag, "default"));
  }
  // Open Inference Protocol V2 and KServe V1 front ends (their probes mark themselves open).
  Object.assign(paths, protocolPaths({ example: exampleOf(registry, def), apiKeys: opts.apiKeys }));
  if (opts.apiKeys) {
    // Every operation needs a key except the probes, which are marked open.
    for (const [path, item] of Object.entries(paths)) {
      if (!path.startsWith("/health")) continue;
      for (const op of Object.values(item as Record<string, Record<string, unknown>>))
        if (op && typeof op === "object" && "responses" in op) op.security = [];
    }
  }
  uniqueOperationIds(paths);
  const securitySchemes = {
    bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer <API key>" },
    apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "The API key in X-API-Key" },
  };
  return {
    openapi: "3.1.0",
    ...(opts.apiKeys ? { security: [{ bearer: [] }, { apiKey: [] }] } : {}),
    ...(opts.prefix ? { servers: [{ url: opts.prefix }] } : {}),
    info: {
      title: opts.title,
      version: opts.version,
      description:
        "Predictions from the models this server loaded. `/predict` uses the default model" +
        (def ? ` (${def})` : "") +
        '. Errors answer `{"error": {"code", "message", "details"}, "requestId"}`.',
    },
    tags,
    paths,
    components: {
      ...(opts.apiKeys ? { securitySchemes } : {}),
      schemas: {
        ...PROTOCOL_SCHEMAS,
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              properties: {
                code: { type: "string", enum: errorCatalogue().map((e) => e.code) },
                message: { type: "string" },
                details: {},
              },
              required: ["code", "message"],
            },
            requestId: { type: "string" },
          },
          required: ["error", "requestId"],
        },
      },
    },
  };
}

const nameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };
const versionParam = { name: "version", in: "path", required: true, schema: { type: "string" } };
