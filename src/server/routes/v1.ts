/**
 * @module KServe V1 protocol routes: `GET /v1/models`, `GET /v1/models/{name}`,
 * `POST /v1/models/{name}:predict` (`{"instances": [...]}` → `{"predictions": [...]}`), on the same
 * prediction path as `/predict`. Errors answer `{"error": "<message>", "code": "MS_*"}`.
 */

import type { FastifyError, FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { DecodedRows } from "../../schema/json-rows.ts";
import type { AppContext, RequestModel, RequestModels } from "../context.ts";
import { sendProtocolError } from "../plugins/protocol-errors.ts";
import { predictThroughPipeline } from "../protocols/frontend.ts";
import { modelReady } from "../protocols/v2/service.ts";

/** The rows of a V1 predict body. */
function instancesOf(body: unknown): unknown[] {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.invalidInferRequest('the body must be a JSON object {"instances": [...]}');
  const inst = (body as Record<string, unknown>).instances;
  if (!Array.isArray(inst)) throw Errors.invalidInferRequest(`"instances" must be a list of rows`);
  return inst;
}

/** What a V1 predict answers: its JSON body and the headers' facts. */
export interface V1Answer {
  readonly body: { readonly predictions: readonly unknown[] };
  /** `name@version` of the version that answered. */
  readonly model: string;
  readonly inferenceMs: number;
}

/**
 * A V1 body read straight from its bytes (`schema/json-rows.ts`): its rows, and the body as `JSON.parse`
 * reads it, for when the routed version needs the general path (or the audit asks for rows).
 */
export interface DecodedV1Body {
  readonly rows: DecodedRows;
  readonly parse: () => unknown;
}

/**
 * One V1 predict (the route and the fast lane run the same): the body's instances through the
 * prediction path; `entry` collects what the request resolved to. Throws `ModelServeError`s only. The
 * fast lane may hand the body `decoded` instead (then `body` is unused).
 */
export async function v1Predict(
  ctx: AppContext,
  name: string,
  body: unknown,
  routingKey: string | undefined,
  requestId: string,
  logError: (fields: Record<string, unknown>, msg: string) => void,
  entry: RequestModel,
  decoded?: DecodedV1Body,
): Promise<V1Answer> {
  const res = await predictThroughPipeline(
    ctx,
    {
      name,
      routingKey,
      requestId,
      logError,
      decode: (v) => {
        // A body read from its bytes has one of the shapes whose checks below pass: non-empty
        // instances, within the batch limit.
        const table = decoded && v.validator.fromDecoded(decoded.rows);
        if (table) return { rows: () => instancesOf(decoded!.parse()), table, path: "instances" };
        const rows = instancesOf(decoded ? decoded.parse() : body);
        if (rows.length === 0) throw Errors.emptyBatch();
        if (rows.length > ctx.settings.maxBatchSize)
          throw Errors.batchTooLarge(rows.length, ctx.settings.maxBatchSize);
        return { rows, path: "instances" };
      },
    },
    entry,
  );
  return {
    body: { predictions: res.result.predictions ?? [] },
    model: `${res.version.name}@${res.version.version}`,
    inferenceMs: res.result.inferenceMs,
  };
}

/** Registers the V1 routes in their own scope. */
export function v1Routes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const { registry } = ctx;
  app.register(
    async (scope) => {
      scope.setErrorHandler((err: FastifyError, req, reply) =>
        sendProtocolError(err, req, reply, ctx.settings.bodyLimit),
      );
      scope.setNotFoundHandler((req, reply) =>
        sendProtocolError(
          Errors.routeNotFound(req.method, req.url.split("?")[0]),
          req,
          reply,
          ctx.settings.bodyLimit,
        ),
      );
      scope.addHook("onRequest", (req, reply, done) => {
        reply.header("x-request-id", req.id);
        if (ctx.shuttingDown) reply.header("connection", "close");
        done();
      });
      scope.get("/models", async () => ({ models: registry.names() }));
      scope.get("/models/:name", async (req, reply) => {
        const { name } = req.params as { name: string };
        models.set(req, { model: name, route: "/v1/models/:name" });
        const ready = modelReady(ctx, name);
        if (!ready) reply.code(503).header("retry-after", "1");
        return { name, ready };
      });
      const route = "/v1/models/:name:predict";
      // "::" is a literal colon in a route pattern; the regex ends the name at it: `/v1/models/iris:predict`.
      scope.post("/models/:name(^[^:/]+)::predict", async (req, reply) => {
        const { name } = req.params as { name: string };
        const entry = { route };
        models.set(req, entry);
        const key = req.headers["x-routing-key"];
        const a = await v1Predict(
          ctx,
          name,
          req.body,
          typeof key === "string" ? key : undefined,
          String(req.id),
          (fields, msg) => req.log.error(fields, msg),
          entry,
        );
        reply.header("x-model", a.model).header("server-timing", `inference;dur=${a.inferenceMs.toFixed(3)}`);
        return a.body;
      });
    },
    { prefix: "/v1" },
  );
}
