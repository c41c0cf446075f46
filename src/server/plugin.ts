/**
 * @module The modelserve Fastify plugin: strict JSON parsing, the error shape, the request log and
 * every route, under the prefix it is registered with. `buildApp` uses it for a standalone server;
 * an existing Fastify app registers it directly.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { Errors } from "../errors.ts";
import { MicroBatcher } from "../inference/micro-batcher.ts";
import type { AuditEntry } from "../observability/audit-log.ts";
import { BatchingMetrics } from "../observability/batching-metrics.ts";
import { requestLogger } from "../observability/request-log.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { PACKAGE_VERSION } from "../version.ts";
import {
  type AppContext,
  type AppSettings,
  REQUEST_MODEL_PROPERTY,
  type RequestModel,
  requestModels,
} from "./context.ts";
import { installFastLane } from "./fast-lane.ts";
import { laneRefusal } from "./lane-refusal.ts";
import { settingsOf } from "./options.ts";
import { corsHeaders, installAccess } from "./plugins/access.ts";
import { installErrorHandling } from "./plugins/error-handler.ts";
import { auditCollector, driftCollector, lifecycleCollector } from "./plugins/lifecycle-metrics.ts";
import { metricsRoute } from "./plugins/metrics.ts";
import { poolCollector } from "./plugins/pool-metrics.ts";
import { storageCollector } from "./plugins/storage-metrics.ts";
import { parseBody } from "./predict/body.ts";
import { adminRoutes } from "./routes/admin.ts";
import { docsRoutes } from "./routes/docs.ts";
import { explainRoutes } from "./routes/explain.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";
import { predictRoutes } from "./routes/predict.ts";
import { uiRoutes } from "./routes/ui.ts";
import { v1Routes } from "./routes/v1.ts";
import { v2Routes } from "./routes/v2.ts";
import { ShadowTracker } from "./shadow.ts";

/** Options of {@link modelservePlugin}. */
export interface ModelservePluginOptions {
  /** Shared state, from {@link createContext}. */
  readonly context: AppContext;
  /** Logger for the one line per request (default: the host app's logger). */
  readonly logger?: Logger;
  /**
   * Serve the native prediction routes through the fast lane (`fast-lane.ts`), in front of `handler`,
   * the root instance `root`'s request handler. Only for an app that owns its server (`buildApp`).
   */
  readonly fastLane?: {
    readonly root: FastifyInstance;
    readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  };
}

/** The shared state of one modelserve app; keys not given take their declared defaults. */
export function createContext(registry: ModelRegistry, settings: Partial<AppSettings> = {}): AppContext {
  const all = settingsOf(settings);
  const batching = new BatchingMetrics();
  const batcher = new MicroBatcher(
    {
      mode: all.microBatching,
      maxRows: all.microBatchMaxRows,
      maxWaitUs: all.microBatchMaxWaitUs,
      maxQueued: all.maxQueued,
    },
    batching,
  );
  return {
    registry,
    settings: all,
    startedAt: Date.now(),
    shuttingDown: false,
    shadows: new ShadowTracker(registry),
    batcher,
    batching,
  };
}

/**
 * Registers modelserve's routes into a Fastify instance.
 *
 * @example
 * const context = createContext(registry, { maxBatchSize: 1000, title: "ml" });
 * await host.register(modelservePlugin, { prefix: "/ml", context });
 */
export async function modelservePlugin(
  fastify: FastifyInstance,
  options: ModelservePluginOptions,
): Promise<void> {
  const { context } = options;
  const { registry, settings } = context;
  const logger = options.logger ?? (fastify.log as unknown as Logger);
  const prefix = fastify.prefix;
  const logRequest = requestLogger(logger);
  // Declared up front so every request object keeps one shape.
  fastify.decorateRequest(REQUEST_MODEL_PROPERTY, null);
  const models = requestModels;

  // Only JSON bodies; parse errors become MS_MALFORMED_JSON. Fastify's default text parser is removed.
  fastify.removeAllContentTypeParsers();
  const parseJson = (
    _req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.length === 0) return done(null, undefined);
    const batch = _req.routeOptions.url?.endsWith("/batch") === true;
    try {
      done(null, parseBody(text, batch ? settings.maxBatchSize : undefined));
    } catch (err) {
      done(err as Error, undefined);
    }
  };
  fastify.addContentTypeParser("application/json", { parseAs: "string" }, parseJson);
  fastify.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: "string" }, parseJson);

  installErrorHandling(fastify, settings.bodyLimit);
  // API keys, rate limits and CORS: hooks exist only when configured.
  const keyIds = new WeakMap<FastifyRequest, string>();
  const withKeys = settings.access?.keys !== undefined && settings.access.keys.size > 0;
  const rateLimit = settings.access
    ? await installAccess(
        fastify,
        settings.access,
        prefix,
        keyIds,
        context.cluster && ((key, windowMs) => context.cluster!.hit(key, windowMs)),
      )
    : undefined;

  // The end of every request: the log line, metrics and the sampled audit entry (Fastify's requests
  // through `onResponse`, the fast lane's directly).
  const finish = (
    reqId: string,
    method: string,
    route: string | null,
    url: string,
    m: RequestModel | undefined,
    keyId: string | undefined,
    status: number,
    elapsedMs: number,
  ): void => {
    logRequest({
      reqId,
      method,
      route: m?.route ?? route,
      url: m?.route ? undefined : url,
      model: m?.model,
      version: m?.version,
      keyId,
      status,
      latencyMs: Math.round(elapsedMs * 1000) / 1000,
    });
    context.metrics?.observe({
      route: m?.route ?? route,
      model: m?.model,
      version: m?.version,
      status,
      seconds: elapsedMs / 1000,
      inferenceMs: m?.inferenceMs,
      rows: m?.rows,
      predictions: m?.labels,
      values: m?.values,
    });
    if (m?.audit !== undefined && context.audit && m.model !== undefined && m.version !== undefined) {
      context.audit.record(auditEntry(reqId, keyId, url, status, elapsedMs, m));
    }
  };
  fastify.addHook("onResponse", (req, reply, done) => {
    const m = models.get(req);
    finish(
      String(req.id),
      req.method,
      m?.route ? null : (req.routeOptions.url ?? null),
      req.url,
      m,
      withKeys ? keyIds.get(req) : undefined,
      reply.statusCode,
      reply.elapsedTime,
    );
    done();
  });
  const auditEntry = (
    reqId: string,
    keyId: string | undefined,
    url: string,
    status: number,
    elapsedMs: number,
    m: RequestModel,
  ): AuditEntry => ({
    reqId,
    time: Date.now(),
    keyId,
    model: m.model!,
    version: m.version!,
    route: m.route ?? url,
    status,
    latencyMs: Math.round(elapsedMs * 1000) / 1000,
    inputs: m.audit!.rows,
    inputNames: m.audit!.inputNames,
    predictions: m.audit!.predictions,
    probabilities: m.audit!.probabilities,
  });
  // Durable mode: the record is written and fsynced before the answer leaves; when it cannot be, the
  // client gets 503 instead of an answer the log does not hold. For Fastify's routes in a hook, for
  // the fast lane's before it writes.
  const durable =
    context.audit?.sync === "each"
      ? async (...args: Parameters<typeof auditEntry>) => {
          const m = args[5];
          if (m.audit === undefined || m.model === undefined || m.version === undefined) return;
          const entry = auditEntry(...args);
          // Recorded here, not again at the end of the request.
          m.audit = undefined;
          try {
            await context.audit!.recordDurable(entry);
          } catch (err) {
            throw Errors.auditUnavailable((err as Error).message);
          }
        }
      : undefined;
  if (durable) {
    fastify.addHook("preSerialization", async (req, reply, payload) => {
      const m = models.get(req);
      if (m !== undefined)
        await durable(
          String(req.id),
          withKeys ? keyIds.get(req) : undefined,
          req.url,
          reply.statusCode,
          reply.elapsedTime,
          m,
        );
      return payload;
    });
  }
  // Error answers by code; this hook runs only for failed requests, never on the success path.
  if (context.audit) {
    const audit = context.audit;
    // Everything queued is written before the process exits.
    fastify.addHook("onClose", async () => audit.close());
  }
  if (context.drift) {
    const drift = context.drift;
    const timer = setInterval(() => {
      drift.retain((n, v) => registry.get(n, v) !== undefined);
      drift.check();
    }, context.driftCheckIntervalMs ?? 30_000);
    timer.unref();
    fastify.addHook("onClose", async () => clearInterval(timer));
  }
  if (context.metrics) {
    const metrics = context.metrics;
    metrics.addCollector(lifecycleCollector(registry, context.shadows));
    metrics.addCollector(context.batching.collector(() => context.batcher.states()));
    metrics.addStatsSection("batching", () => context.batcher.summary());
    if (context.drift) {
      const drift = context.drift;
      metrics.addCollector(driftCollector(drift));
      metrics.addStatsSection("drift", () => ({
        threshold: drift.threshold,
        models: drift.scores().map((m) => ({
          model: m.model,
          version: m.version,
          features: Object.fromEntries(m.scores.map((s) => [s.feature, { psi: s.psi, window: s.window }])),
        })),
      }));
    }
    if (context.storage) metrics.addCollector(storageCollector(context.storage));
    if (context.pool) metrics.addCollector(poolCollector(context.pool));
    if (context.audit) {
      const audit = context.audit;
      metrics.addCollector(auditCollector(audit));
      metrics.addStatsSection("auditLog", () => ({ ...audit.counters, queued: audit.queued }));
    }
    fastify.addHook("onError", (_req, _reply, err, done) => {
      metrics.observeError((err as { code?: unknown }).code);
      done();
    });
  }

  if (options.fastLane) {
    const { root, handler } = options.fastLane;
    fastify.addHook("onReady", async () => {
      // Decided once everything is registered: hooks a host added to the root would be skipped.
      const refusal = laneRefusal(root, settings, prefix);
      const on =
        refusal === undefined &&
        installFastLane(fastify.server, handler, {
          context,
          logger,
          keys: withKeys ? settings.access?.keys : undefined,
          rateLimit,
          cors: settings.access?.cors ? corsHeaders(settings.access.cors) : undefined,
          durable,
          finish: (f) => finish(f.reqId, f.method, f.route, f.url, f.entry, f.keyId, f.status, f.elapsedMs),
          failed:
            context.metrics && ((err) => context.metrics?.observeError((err as { code?: unknown }).code)),
        });
      logger.debug({ fastLane: on, ...(refusal ? { reason: refusal } : {}) }, "prediction routes");
    });
  }

  // The prediction routes set the request-id header and check draining themselves, sparing the hot
  // path a hook; every other route gets both from this scope's onRequest hook.
  predictRoutes(fastify, context, models);
  explainRoutes(fastify, context, models);
  // Open Inference Protocol (V2) and KServe V1: second front ends, each in its own error scope.
  v2Routes(fastify, context, models);
  v1Routes(fastify, context, models);
  fastify.register(async (scope) => {
    scope.addHook("onRequest", (req, reply, done) => {
      reply.header("x-request-id", req.id);
      if (context.shuttingDown) reply.header("connection", "close");
      done();
    });
    modelRoutes(scope, context, models);
    healthRoutes(scope, context);
    if (context.metrics) metricsRoute(scope, context.metrics, context.startedAt, context.cluster);
    if (settings.docs) docsRoutes(scope, context, PACKAGE_VERSION, prefix);
    if (settings.ui !== "off") uiRoutes(scope, context, settings.ui, prefix, PACKAGE_VERSION);
    if (settings.admin) adminRoutes(scope, context);
    else {
      scope.all("/admin/*", async () => {
        throw Errors.adminDisabled();
      });
    }
    scope.get("/", async () => ({
      service: "modelserve",
      version: PACKAGE_VERSION,
      docs: settings.docs ? `${prefix}/docs` : null,
      openapi: settings.docs ? `${prefix}/openapi.json` : null,
      ui: settings.ui === "off" ? null : `${prefix}${settings.ui}`,
      defaultModel: registry.defaultModel() ?? null,
    }));
  });
}
