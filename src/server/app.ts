/**
 * @module `buildApp`: the Fastify application for a registry — prediction, model, health and docs
 * routes, strict JSON parsing, request ids, one log line per request. Never calls `listen`.
 */

import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { AuditLog, type AuditLogSettings } from "../observability/audit-log.ts";
import { DriftTracker, type DriftTrackerOptions } from "../observability/drift.ts";
import { createLogger } from "../observability/logger.ts";
import { ServiceMetrics } from "../observability/metrics.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import { trackConnections } from "./connections.ts";
import type { AppContext, AppSettings } from "./context.ts";
import { createContext, modelservePlugin } from "./plugin.ts";
import { DEFAULT_MAX_CONNECTIONS, serverTimeouts } from "./slow-clients.ts";

/** Options of {@link buildApp}. */
export interface AppOptions extends Partial<AppSettings> {
  /** A pino logger; defaults to JSON lines at `info`. */
  readonly logger?: Logger;
  /** Trust `X-Forwarded-*` headers from a proxy. */
  readonly trustProxy?: boolean;
  /** Serve Prometheus metrics on `/metrics` (default true). */
  readonly metrics?: boolean;
  /** Serve HTTPS with this PEM key and certificate. */
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /**
   * Drift monitoring of versions with training statistics (default on: window 5000 rows, PSI
   * threshold 0.2, checked every 30 s); `false` turns it off.
   */
  readonly drift?: (DriftTrackerOptions & { readonly checkIntervalMs?: number }) | false;
  /** The audit (prediction) log: settings, or a log built by the caller. */
  readonly audit?: AuditLogSettings | AuditLog;
  /** Longest time to receive a whole request, in ms (Node's `requestTimeout`; default 30 000; 0: none). */
  readonly requestTimeoutMs?: number;
  /** Longest time to receive a request's headers, in ms (default 10 000). */
  readonly headersTimeoutMs?: number;
  /** Most open connections (default 10 000; 0: no limit). */
  readonly maxConnections?: number;
  /** Most open connections per client IP (default 0: no limit). */
  readonly maxConnectionsPerIp?: number;
}

/** Default limits. */
export const DEFAULT_SETTINGS: AppSettings = {
  maxBatchSize: 10_000,
  bodyLimit: 10 * 1024 * 1024,
  docs: true,
  title: "modelserve",
  admin: false,
};

/** The app plus its shared state (the lifecycle flips `shuttingDown`). */
export interface App {
  readonly fastify: FastifyInstance;
  readonly context: AppContext;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Generated ids: a random per-process prefix plus a counter — unique, sortable, and cheaper than a UUID per request.
const ID_PREFIX = randomUUID().slice(0, 8);
let idCounter = 0;
const nextRequestId = () => `${ID_PREFIX}-${(++idCounter).toString(36).padStart(6, "0")}`;

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
  const settings: AppSettings = {
    maxBatchSize: options.maxBatchSize ?? DEFAULT_SETTINGS.maxBatchSize,
    bodyLimit: options.bodyLimit ?? DEFAULT_SETTINGS.bodyLimit,
    docs: options.docs ?? DEFAULT_SETTINGS.docs,
    title: options.title ?? DEFAULT_SETTINGS.title,
    admin: options.admin ?? DEFAULT_SETTINGS.admin,
    access: options.access,
    maxInflight: options.maxInflight ?? 0,
    inferenceTimeoutMs: options.inferenceTimeoutMs ?? 0,
  };
  const logger = options.logger ?? createLogger({ level: "info", format: "json" });
  // One construction path for HTTP and HTTPS: Fastify types the two servers apart, the routes do not care.
  const timeouts = serverTimeouts(options);
  const fastify = (Fastify as (opts: object) => FastifyInstance)({
    ...(options.https ? { https: { key: options.https.key, cert: options.https.cert, ...timeouts } } : {}),
    http: timeouts,
    requestTimeout: timeouts.requestTimeout,
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const h = req.headers["x-request-id"];
      return typeof h === "string" && REQUEST_ID.test(h) ? h : nextRequestId();
    },
    // While draining, requests on connections already open are still answered (then the connection
    // closes); only new connections are refused.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    trustProxy: options.trustProxy ?? false,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Per-request child loggers are made only when a request actually logs through `req.log` (errors);
  // the one line per request goes through the root logger with the request id as a field.
  fastify.setChildLoggerFactory(
    (parent, bindings, opts) =>
      new LazyChild(parent as Logger, bindings, opts) as unknown as FastifyBaseLogger,
  );
  trackConnections(fastify.server, {
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? 0,
  });
  const context = createContext(registry, settings);
  if (options.metrics ?? true) context.metrics = new ServiceMetrics();
  if (options.drift !== false) {
    const d = options.drift ?? {};
    context.drift = new DriftTracker({
      ...d,
      warn: d.warn ?? ((fields, msg) => logger.warn(fields, msg)),
    });
    context.driftCheckIntervalMs = d.checkIntervalMs ?? 30_000;
  }
  if (options.audit)
    context.audit = options.audit instanceof AuditLog ? options.audit : new AuditLog(options.audit);
  fastify.register(modelservePlugin, { context, logger });
  return { fastify, context };
}
