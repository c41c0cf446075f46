/**
 * @module `buildApp`: the Fastify application for a registry — prediction, model, health and docs
 * routes, strict JSON parsing, request ids, one log line per request. Never calls `listen`.
 */

import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import { Errors } from "../errors.ts";
import { createLogger } from "../observability/logger.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { PACKAGE_VERSION } from "../version.ts";
import type { AppContext, AppSettings, RequestModel } from "./context.ts";
import { installErrorHandling } from "./plugins/error-handler.ts";
import { docsRoutes } from "./routes/docs.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";
import { predictRoutes } from "./routes/predict.ts";

/** Options of {@link buildApp}. */
export interface AppOptions extends Partial<AppSettings> {
  /** A pino logger; defaults to JSON lines at `info`. */
  readonly logger?: Logger;
  /** Trust `X-Forwarded-*` headers from a proxy. */
  readonly trustProxy?: boolean;
}

/** Default limits. */
export const DEFAULT_SETTINGS: AppSettings = {
  maxBatchSize: 10_000,
  bodyLimit: 10 * 1024 * 1024,
  docs: true,
  title: "modelserve",
};

/** The app plus its shared state (the lifecycle flips `shuttingDown`). */
export interface App {
  readonly fastify: FastifyInstance;
  readonly context: AppContext;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP application for a registry, for `listen` or for embedding.
 *
 * @example
 * const { fastify } = buildApp(registry, { maxBatchSize: 1000 });
 * await fastify.listen({ port: 8000 });
 */
export function buildApp(registry: ModelRegistry, options: AppOptions = {}): App {
  const settings: AppSettings = {
    maxBatchSize: options.maxBatchSize ?? DEFAULT_SETTINGS.maxBatchSize,
    bodyLimit: options.bodyLimit ?? DEFAULT_SETTINGS.bodyLimit,
    docs: options.docs ?? DEFAULT_SETTINGS.docs,
    title: options.title ?? DEFAULT_SETTINGS.title,
  };
  const logger = options.logger ?? createLogger({ level: "info", format: "json" });
  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers["x-request-id"];
      return typeof h === "string" && REQUEST_ID.test(h) ? h : randomUUID();
    },
    // Our own onRequest hook answers 503 MS_SHUTTING_DOWN in the documented error shape.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    trustProxy: options.trustProxy ?? false,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const context: AppContext = { registry, settings, startedAt: Date.now(), shuttingDown: false };
  const models = new WeakMap<FastifyRequest, RequestModel>();

  // Only JSON bodies; parse errors become MS_MALFORMED_JSON. Fastify's default text parser is removed.
  fastify.removeAllContentTypeParsers();
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Errors.malformedJson((err as Error).message), undefined);
    }
  };
  fastify.addContentTypeParser("application/json", { parseAs: "string" }, parseJson);
  fastify.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: "string" }, parseJson);

  installErrorHandling(fastify, settings.bodyLimit);

  fastify.addHook("onRequest", async (req, reply) => {
    if (context.shuttingDown && !req.url.startsWith("/health")) {
      throw Errors.shuttingDown();
    }
  });
  fastify.addHook("onSend", async (req, reply) => {
    reply.header("x-request-id", req.id);
    // Draining: close keep-alive connections after this response so the listener can shut.
    if (context.shuttingDown) reply.header("connection", "close");
  });
  fastify.addHook("onResponse", async (req, reply) => {
    const m = models.get(req);
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? null,
        url: req.url,
        model: m?.model,
        version: m?.version,
        status: reply.statusCode,
        latencyMs: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      "request",
    );
  });

  predictRoutes(fastify, context, models);
  modelRoutes(fastify, context, models);
  healthRoutes(fastify, context);
  if (settings.docs) docsRoutes(fastify, context, PACKAGE_VERSION);
  fastify.get("/", async () => ({
    service: "modelserve",
    version: PACKAGE_VERSION,
    docs: settings.docs ? "/docs" : null,
    openapi: settings.docs ? "/openapi.json" : null,
    defaultModel: registry.defaultModel() ?? null,
  }));
  return { fastify, context };
}
