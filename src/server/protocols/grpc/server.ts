/**
 * @module The Open Inference Protocol gRPC service (`inference.GRPCInferenceService` of the vendored
 * `open_inference_grpc.proto`) on its own port: ServerLive, ServerReady, ModelReady, ServerMetadata,
 * ModelMetadata and ModelInfer with typed or raw contents. Same registry, validation, limits, API keys,
 * metrics, request log and audit log as the HTTP routes; closes gracefully with the app.
 */

import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Logger } from "pino";
import { Errors, isModelServeError, type ModelServeError } from "../../../errors.ts";
import { requestLogger } from "../../../observability/request-log.ts";
import { presentedKey, type Scope } from "../../../security/api-keys.ts";
import type { AppContext, RequestModel } from "../../context.ts";
import { errorLogOf, logFailure } from "../../plugins/error-handler.ts";
import { inferV2, modelMetadata, modelReady, serverMetadata, serverReady } from "../v2/service.ts";
import { encodeRawInferResponse, type RawInferResponse } from "./raw-response.ts";
import { decodeTensors, encodeOutputs, type GrpcInferRequest } from "./wire.ts";

/** The vendored protocol definition (same relative place from `src/` and `dist/`). */
export const PROTO_PATH = fileURLToPath(
  new URL("../../../../vendor/open-inference-protocol/open_inference_grpc.proto", import.meta.url),
);

/** proto-loader options shared by the server and the tests' clients. */
export const PROTO_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * Loads the service definition from the vendored proto. ModelInfer answers with raw contents are
 * encoded directly (see raw-response.ts); everything else goes through the reflection encoder.
 */
export function loadInferenceService(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } };
  };
  const service = { ...pkg.inference.GRPCInferenceService.service };
  const infer = service.ModelInfer;
  const generic = infer.responseSerialize;
  service.ModelInfer = {
    ...infer,
    responseSerialize: (value: unknown) => {
      const r = value as RawInferResponse;
      return r.raw_output_contents?.length > 0 ? encodeRawInferResponse(r) : generic(value);
    },
  };
  return service;
}

/** The gRPC status of an HTTP status (errors keep their `MS_*` code in `ms-error-code` metadata). */
export function grpcStatusOf(http: number): grpc.status {
  if (http === 400 || http === 422) return grpc.status.INVALID_ARGUMENT;
  if (http === 401) return grpc.status.UNAUTHENTICATED;
  if (http === 403) return grpc.status.PERMISSION_DENIED;
  if (http === 404) return grpc.status.NOT_FOUND;
  if (http === 409) return grpc.status.ALREADY_EXISTS;
  if (http === 413 || http === 429) return grpc.status.RESOURCE_EXHAUSTED;
  if (http === 501) return grpc.status.UNIMPLEMENTED;
  if (http === 503) return grpc.status.UNAVAILABLE;
  return grpc.status.INTERNAL;
}

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  readonly host: string;
  /** Port to bind (0 picks a free one). */
  readonly port: number;
  readonly logger: Logger;
}

/** A running gRPC server. */
export interface GrpcServerHandle {
  /** The bound port. */
  readonly port: number;
  /** Stops taking calls, lets running calls finish until `deadlineMs`, then cuts the rest. */
  close(deadlineMs?: number): Promise<void>;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

let callCounter = 0;

/** Starts the gRPC service for an app's context on `host:port`. */
export async function startGrpcServer(ctx: AppContext, opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const { settings } = ctx;
  const logger = opts.logger;
  const logRequest = requestLogger(logger);
  const keys = settings.access?.keys;
  const withKeys = keys !== undefined && keys.size > 0;
  const server = new grpc.Server({
    "grpc.max_receive_message_length": settings.bodyLimit,
    // Channelz (a debugging service) keeps per-call statistics this server never exposes.
    "grpc.enable_channelz": 0,
    "grpc.max_send_message_length": -1,
  });

  /** Authenticates a call; returns the key id (or undefined when keys are off). */
  const authenticate = (
    call: grpc.ServerUnaryCall<unknown, unknown>,
    scope: Scope | null,
  ): string | undefined => {
    if (!withKeys || scope === null) return undefined;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === "string") headers[k] = v;
    const presented = presentedKey(headers);
    if (presented === undefined)
      throw Errors.unauthorized("send the API key as authorization: Bearer <key> or x-api-key metadata");
    const key = keys!.match(presented);
    if (!key) throw Errors.unauthorized("the API key is not valid");
    if (!key.scopes.has(scope)) throw Errors.forbidden(key.id, scope);
    return key.id;
  };

  /** Wraps a handler: auth, errors as gRPC statuses with the MS code, one log line, metrics, audit. */
  const unary =
    <Req, Res>(
      method: string,
      scope: Scope | null,
      fn: (req: Req, entry: RequestModel, reqId: string, metadata: grpc.Metadata) => Promise<Res> | Res,
    ): Unary<Req, Res> =>
    (call, callback) => {
      const started = process.hrtime.bigint();
      const reqId = `grpc-${(++callCounter).toString(36)}`;
      const route = `/inference.GRPCInferenceService/${method}`;
      const entry: RequestModel = { route };
      let keyId: string | undefined;
      const finish = (status: number, code?: string) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const latencyMs = Math.round(seconds * 1e6) / 1000;
        logRequest({
          reqId,
          method: "GRPC",
          route,
          model: entry.model,
          version: entry.version,
          keyId,
          status,
          latencyMs,
        });
        if (code) ctx.metrics?.observeError(code);
        ctx.metrics?.observe({
          route,
          model: entry.model,
          version: entry.version,
          status,
          seconds,
          inferenceMs: entry.inferenceMs,
          rows: entry.rows,
          predictions: entry.labels,
          values: entry.values,
        });
        if (entry.audit && ctx.audit && entry.model !== undefined && entry.version !== undefined) {
          ctx.audit.record({
            reqId,
            time: Date.now(),
            keyId,
            model: entry.model,
            version: entry.version,
            route,
            status,
            latencyMs,
            inputs: entry.audit.rows,
            inputNames: entry.audit.inputNames,
            predictions: entry.audit.predictions,
            probabilities: entry.audit.probabilities,
          });
        }
      };
      const fail = (err: unknown) => {
        let e: ModelServeError;
        if (isModelServeError(err)) e = err;
        else {
          logger.error({ err, reqId }, "unhandled gRPC error");
          e = Errors.internal(reqId);
        }
        logFailure(
          err,
          e,
          reqId,
          errorLogOf(() => logger),
        );
        const md = new grpc.Metadata();
        md.set("ms-error-code", e.code);
        md.set("x-request-id", reqId);
        finish(e.statusCode, e.code);
        callback({ code: grpcStatusOf(e.statusCode), details: e.message, metadata: md });
      };
      try {
        keyId = authenticate(call as grpc.ServerUnaryCall<unknown, unknown>, scope);
        Promise.resolve(fn(call.request, entry, reqId, call.metadata)).then((res) => {
          finish(200);
          callback(null, res);
        }, fail);
      } catch (err) {
        fail(err);
      }
    };

  const name = (s: string) => (s.length > 0 ? s : undefined);
  server.addService(loadInferenceService(), {
    ServerLive: unary("ServerLive", null, () => ({ live: true })),
    ServerReady: unary("ServerReady", null, () => ({ ready: serverReady(ctx) })),
    ModelReady: unary<{ name: string; version: string }, { ready: boolean }>(
      "ModelReady",
      "read",
      (req, entry) => {
        entry.model = req.name;
        return { ready: modelReady(ctx, req.name, name(req.version)) };
      },
    ),
    ServerMetadata: unary("ServerMetadata", "read", () => serverMetadata()),
    ModelMetadata: unary<{ name: string; version: string }, unknown>(
      "ModelMetadata",
      "read",
      (req, entry) => {
        entry.model = req.name;
        return modelMetadata(ctx, req.name, name(req.version));
      },
    ),
    ModelInfer: unary<GrpcInferRequest, unknown>("ModelInfer", "predict", async (req, entry, reqId, md) => {
      if (!req.model_name) throw Errors.invalidInferRequest("model_name is required");
      const { inputs, raw } = decodeTensors(req);
      // A/B splits stay sticky per client, as with the X-Routing-Key header over HTTP.
      const key = md.get("x-routing-key")[0];
      const answer = await inferV2(
        ctx,
        {
          name: req.model_name,
          version: name(req.model_version),
          id: name(req.id),
          inputs,
          outputs: req.outputs.length > 0 ? req.outputs.map((o) => o.name) : undefined,
          routingKey: typeof key === "string" ? key : undefined,
        },
        entry,
        reqId,
        (fields, msg) => logger.error(fields, msg),
      );
      return {
        model_name: answer.model_name,
        model_version: answer.model_version,
        id: answer.id,
        ...encodeOutputs(answer.outputs, raw),
      };
    }),
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    port,
    close(deadlineMs = 30_000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
