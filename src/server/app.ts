/**
 * @module `buildApp`: the Fastify application for a registry — prediction, model, health and docs
 * routes, strict JSON parsing, request ids, one log line per request. Never calls `listen`.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { AuditLog } from "../observability/audit-log.ts";
import { DriftTracker } from "../observability/drift.ts";
import { createLogger } from "../observability/logger.ts";
import { ServiceMetrics } from "../observability/metrics.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { trackConnections } from "./connections.ts";
import type { AppContext, AppSettings } from "./context.ts";
import { lazySchemaController, markDefaultCompilers } from "./lazy-compilers.ts";
import { type AppOptions, auditOf, driftOf, httpsOf, settingsOf } from "./options.ts";
import { createContext, modelservePlugin } from "./plugin.ts";
import { requestIdOf } from "./request-id.ts";
import { serverTimeouts } from "./slow-clients.ts";

export type { AppOptions } from "./options.ts";

/** Every key's declared default, as the settings of an app built without options. */
export const DEFAULT_SETTINGS: AppSettings = settingsOf({});

/** The app plus its shared state (the lifecycle flips `shuttingDown`). */
export interface App {
  readonly fastify: FastifyInstance;
  readonly context: AppContext;
}

type LogFn = (obj: unknown, msg?: string) => void;
type Level = "info" | "error" | "debug" | "fatal" | "warn" | "trace";

/**
 * A child logger created on first use: most requests never log through it. Fastify asks for one per
 * request, so this is one small object with its methods on the prototype, not a set of closures.
 */
class LazyChild {
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  readonly #opts: object;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Record<string, unknown>, opts: object) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#opts = opts;
  }

  #get(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#opts);
    return this.#child;
  }

  #log(level: Level, obj: unknown, msg?: string): void {
    if (this.#parent.isLevelEnabled(level)) (this.#get()[level] as LogFn)(obj, msg);
  }

  get level(): string {
    return this.#parent.level;
  }

  set level(l: string) {
    this.#get().level = l;
  }

  info(obj: unknown, msg?: string): void {
    this.#log("info", obj, msg);
  }
  error(obj: unknown, msg?: string): void {
    this.#log("error", obj, msg);
  }
  debug(obj: unknown, msg?: string): void {
    this.#log("debug", obj, msg);
  }
  fatal(obj: unknown, msg?: string): void {
    this.#log("fatal", obj, msg);
  }
  warn(obj: unknown, msg?: string): void {
    this.#log("warn", obj, msg);
  }
  trace(obj: unknown, msg?: string): void {
    this.#log("trace", obj, msg);
  }
  silent(): void {}
  child(b: Record<string, unknown>, o?: object): Logger {
    return this.#get().child(b, o);
  }
}

/**
 * Builds the HTTP application for a registry, for `listen` or for embedding.
 *
 * @example
 * const { fastify } = buildApp(registry, { maxBatchSize: 1000 });
 * await fastify.listen({ port: 8000 });
 */
export function buildApp(registry: ModelRegistry, options: AppOptions = {}): App {
  const settings = settingsOf(options);
  const logger = options.logger ?? createLogger({ level: "info", format: "json" });
  // One construction path for HTTP and HTTPS: Fastify types the two servers apart, the routes do not care.
  const https = httpsOf(options, settings);
  // Slow clients: header and request timeouts, checked every second (see slow-clients.ts).
  const timeouts = serverTimeouts(settings);
  const fastify = (Fastify as (opts: object) => FastifyInstance)({
    ...(https ? { https: { key: https.key, cert: https.cert, ...timeouts } } : {}),
    http: timeouts,
    requestTimeout: timeouts.requestTimeout,
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => requestIdOf(req.headers),
    // While draining, requests on connections already open are still answered (then the connection
    // closes); only new connections are refused.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    trustProxy: settings.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // Ajv and fast-json-stringify only if a route with a schema ever needs them (lazy-compilers.ts).
    schemaController: lazySchemaController(),
  });
  markDefaultCompilers(fastify);
  // Per-request child loggers are made only when a request actually logs through `req.log` (errors);
  // the one line per request goes through the root logger with the request id as a field.
  fastify.setChildLoggerFactory(
    (parent, bindings, opts) =>
      new LazyChild(parent as Logger, bindings, opts) as unknown as FastifyBaseLogger,
  );
  // Fastify's own request handler, the server's first listener: the fast lane goes in front of it.
  const [fastifyHandler] = fastify.server.listeners("request") as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  trackConnections(fastify.server, {
    maxConnections: settings.maxConnections,
    maxConnectionsPerIp: settings.maxConnectionsPerIp,
  });
  const context = createContext(registry, settings);
  if (options.metrics ?? true) context.metrics = new ServiceMetrics();
  const drift = driftOf(options, settings);
  if (drift !== false) {
    const d = drift;
    context.drift = new DriftTracker({
      ...d,
      warn: d.warn ?? ((fields, msg) => logger.warn(fields, msg)),
    });
    context.driftCheckIntervalMs = d.checkIntervalMs ?? 30_000;
  }
  const audit = auditOf(options, settings, logger);
  if (audit) context.audit = audit instanceof AuditLog ? audit : new AuditLog(audit);
  fastify.register(modelservePlugin, {
    context,
    logger,
    ...(fastifyHandler ? { fastLane: { root: fastify, handler: fastifyHandler } } : {}),
  });
  return { fastify, context };
}
