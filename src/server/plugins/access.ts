/**
 * @module Access control and limits, installed only when configured (the default hot path gets no
 * hook): API keys with scopes (401 without a valid key, 403 without the scope), per-key or per-IP rate
 * limits (429 with `Retry-After` and `RateLimit-*`), and CORS. Health probes always stay open.
 */

import type { FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Errors } from "../../errors.ts";
import { type KeyChecker, presentedKey, type Scope } from "../../security/api-keys.ts";
import type { HitResult } from "../cluster-hooks.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route holds no data (the dashboard's page and scripts): no API key is asked for it. */
    public?: boolean;
  }
}

/** Access settings of an app. */
export interface AccessSettings {
  /** Accepted API keys; none means every route is open. */
  readonly keys?: KeyChecker;
  /** Whether `/docs`, `/redoc` and `/openapi.json` need a key with the `read` scope. */
  readonly docsAuth?: boolean;
  /** Requests per window per key (per client IP for requests without a key); 0 or undefined: off. */
  readonly rateLimit?: number;
  /** The rate-limit window in milliseconds (default 60 000). */
  readonly rateLimitWindowMs?: number;
  /** CORS: `*` or comma-separated allowed origins; undefined: no CORS headers. */
  readonly cors?: string;
}

// Probes stay open, V2's as well (KServe points its probes at them).
const HEALTH = /^\/(v2\/)?health(\/|$)/;
// Native prediction routes, V2 `.../infer` and V1 `...:predict`.
const PREDICT = /\/predict(_proba)?(\/batch)?$|^\/v2\/models\/.+\/infer$|^\/v1\/models\/.+:predict$/;
const DOCS = /^\/(docs|redoc)(\/|$)|^\/openapi\.json$/;

/**
 * The scope a route needs, by its path under the modelserve prefix; `null` for open routes (health
 * probes always, docs unless `docsAuth`).
 */
export function scopeOf(path: string, docsAuth: boolean): Scope | null {
  if (HEALTH.test(path)) return null;
  if (path.startsWith("/admin")) return "admin";
  if (PREDICT.test(path)) return "predict";
  if (DOCS.test(path)) return docsAuth ? "read" : null;
  return "read";
}

/** Failed authentications allowed per client IP and window when no rate limit is configured. */
export const AUTH_FAILURES_PER_WINDOW = 60;

/**
 * Failed authentications per client IP in fixed windows. Bounded: the table is cleared at each window
 * and holds at most 100 000 addresses (beyond that, new addresses are not tracked until the next window).
 */
class FailureBudget {
  readonly max: number;
  readonly windowMs: number;
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  #roll(now: number): void {
    if (now - this.#windowStart >= this.windowMs) {
      this.#windowStart = now;
      this.#counts = new Map();
    }
  }

  /** Seconds until `ip` may try again, or 0 when it still has failures left. */
  blocked(ip: string): number {
    const now = Date.now();
    this.#roll(now);
    if ((this.#counts.get(ip) ?? 0) < this.max) return 0;
    return Math.max(1, Math.ceil((this.#windowStart + this.windowMs - now) / 1000));
  }

  fail(ip: string): void {
    const n = this.#counts.get(ip);
    if (n !== undefined) this.#counts.set(ip, n + 1);
    else if (this.#counts.size < 100_000) this.#counts.set(ip, 1);
  }
}

/** The error for a request without a valid key: 429 past the failure budget (`wait` s), else 401. */
function refuseKey(reply: FastifyReply, presented: string | undefined, wait: number, max: number): Error {
  if (wait > 0) {
    reply.header("retry-after", String(wait));
    return Errors.rateLimited(max, wait);
  }
  if (presented === undefined) {
    reply.header("www-authenticate", 'Bearer realm="modelserve"');
    return Errors.unauthorized("send the API key as Authorization: Bearer <key> or X-API-Key: <key>");
  }
  reply.header("www-authenticate", 'Bearer realm="modelserve", error="invalid_token"');
  return Errors.unauthorized("the API key is not valid");
}

/** A fixed-window counter shared by every worker process (`--workers`); see `ClusterHooks.hit`. */
export type SharedCounter = (key: string, windowMs: number) => Promise<HitResult>;

/** The rate-limit store's interface, as `@fastify/rate-limit` calls it. */
interface CountingStore {
  incr(
    key: string,
    callback: (error: Error | null, result?: HitResult) => void,
    timeWindow: number,
    max: number,
  ): void;
  child(): CountingStore;
}

/** A rate-limit store over a {@link SharedCounter}, so a client's limit holds across worker processes. */
function sharedStore(hit: SharedCounter): CountingStore {
  const store: CountingStore = {
    incr(key, callback, timeWindow) {
      hit(`rate:${key}`, timeWindow).then(
        (r) => callback(null, r),
        (err: Error) => callback(err),
      );
    },
    child: () => store,
  };
  return store;
}

/** The response headers a browser may read across origins. */
const CORS_EXPOSED = [
  "x-request-id",
  "x-error-code",
  "x-model",
  "server-timing",
  "retry-after",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
] as const;

/** The `cors` setting as `@fastify/cors`'s `origin` option: `*`, or the listed origins. */
function corsOrigins(cors: string): "*" | string[] {
  return cors.trim() === "*" ? "*" : cors.split(",").map((o) => o.trim());
}

/**
 * The headers `@fastify/cors` (as {@link installAccess} registers it) adds to a request that is not a
 * preflight, by its `Origin`: for the fast lane, whose answers must carry them too. With `*`, the
 * origin and the exposed headers; with a list, `Vary: Origin`, the request's origin when listed, and
 * the exposed headers. Header names lower-case, as Fastify's replies write them.
 */
export function corsHeaders(cors: string): (origin: string | undefined) => readonly string[] {
  const origins = corsOrigins(cors);
  const exposed = ["access-control-expose-headers", CORS_EXPOSED.join(", ")];
  if (origins === "*" || origins.includes("*")) {
    const fixed = ["access-control-allow-origin", "*", ...exposed];
    return origins === "*" ? () => fixed : () => ["vary", "Origin", ...fixed];
  }
  const vary = ["vary", "Origin", ...exposed];
  return (origin) =>
    origin !== undefined && origins.includes(origin)
      ? ["vary", "Origin", "access-control-allow-origin", origin, ...exposed]
      : vary;
}

/**
 * The process's rate limit, as the fast lane counts against it: the same store as the Fastify
 * plugin's (one count per client whichever path a request takes), the same window and maximum.
 */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
  /**
   * Counts one request of `key` (`key:<id>` for a request with an API key, else `ip:<address>`, as
   * the plugin's key generator names them); calls back with the hits so far, this one included.
   */
  hit(key: string, callback: (error: Error | null, result?: HitResult) => void): void;
}

/**
 * Installs the configured checks on a modelserve scope before its routes are added. `keyIds`
 * receives each authenticated request's key id (for the request log). Returns the rate limit, when
 * there is one, for the fast lane to count its requests in the same store.
 */
export async function installAccess(
  app: FastifyInstance,
  settings: AccessSettings,
  prefix: string,
  keyIds: WeakMap<FastifyRequest, string>,
  shared?: SharedCounter,
): Promise<RateLimit | undefined> {
  const pathOf = (req: FastifyRequest): string => {
    const p = req.routeOptions.url ?? req.url.split("?")[0];
    return prefix && p.startsWith(prefix) ? p.slice(prefix.length) || "/" : p;
  };
  if (settings.cors) {
    const origins = corsOrigins(settings.cors);
    // Imported only when configured: most servers use neither plugin, and each costs start-up time.
    const { default: cors } = await import("@fastify/cors");
    await app.register(cors, {
      origin: origins,
      methods: ["GET", "POST", "PUT", "DELETE"],
      allowedHeaders: ["content-type", "authorization", "x-api-key", "x-request-id", "x-routing-key"],
      exposedHeaders: [...CORS_EXPOSED],
      maxAge: 600,
    });
  }
  const keys = settings.keys;
  if (keys && keys.size > 0) {
    const docsAuth = settings.docsAuth ?? false;
    const failures = new FailureBudget(
      settings.rateLimit && settings.rateLimit > 0 ? settings.rateLimit : AUTH_FAILURES_PER_WINDOW,
      settings.rateLimitWindowMs ?? 60_000,
    );
    app.addHook("onRequest", (req, reply, done) => {
      // CORS preflights carry no credentials by design.
      if (req.method === "OPTIONS" && settings.cors) return done();
      // Routes that hold no data (the dashboard's page and scripts) declare themselves public.
      if (req.routeOptions.config?.public === true) return done();
      const scope = scopeOf(pathOf(req), docsAuth);
      if (scope === null) return done();
      // The key is checked first: a valid key is never refused because other clients behind the same
      // address (a NAT, a gateway) failed. Failures are counted per IP, and past the budget a failing
      // request gets 429 instead of 401, so guessing gains nothing (keys are long random strings anyway)
      // and floods of bad keys are cut short.
      const presented = presentedKey(req.headers);
      const key = presented === undefined ? undefined : keys.match(presented);
      if (!key && shared) {
        // Several workers: the failure count lives in the primary, so the budget holds whichever
        // worker a client reaches; the failing request itself is counted.
        shared(`auth:${req.ip}`, failures.windowMs).then(
          (r) =>
            done(
              refuseKey(
                reply,
                presented,
                r.current > failures.max ? Math.max(1, Math.ceil(r.ttl / 1000)) : 0,
                failures.max,
              ),
            ),
          (err: Error) => done(err),
        );
        return;
      }
      if (!key) {
        const wait = failures.blocked(req.ip);
        if (wait === 0) failures.fail(req.ip);
        return done(refuseKey(reply, presented, wait, failures.max));
      }
      keyIds.set(req, key.id);
      if (!key.scopes.has(scope)) return done(Errors.forbidden(key.id, scope));
      done();
    });
  }
  if (!settings.rateLimit || settings.rateLimit <= 0) return undefined;
  const max = settings.rateLimit;
  const windowMs = settings.rateLimitWindowMs ?? 60_000;
  const { default: rateLimit } = await import("@fastify/rate-limit");
  // The plugin's own in-memory store (an LRU of 5 000 clients, a window per client from its first
  // request), made here so that the fast lane counts in it too; across workers, the primary's counter.
  const store = shared ? sharedStore(shared) : await localStore();
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    // The IETF draft names (RateLimit-Limit/-Remaining/-Reset) plus Retry-After on a 429.
    enableDraftSpec: true,
    // Runs after the key check (route hooks follow scope hooks), so a key's id is known.
    keyGenerator: (req) => {
      const id = keyIds.get(req);
      return id === undefined ? `ip:${req.ip}` : `key:${id}`;
    },
    allowList: (req) => HEALTH.test(pathOf(req)),
    // The plugin constructs its store from this class: it gets the one made above.
    store: class {
      constructor() {
        // biome-ignore lint/correctness/noConstructorReturn: the plugin must use this very store
        return store;
      }
    } as unknown as FastifyRateLimitStoreCtor,
    errorResponseBuilder: (_req, ctx) => rateLimitRefusal(ctx.max, ctx.ttl),
  });
  return { max, windowMs, hit: (key, callback) => store.incr(key, callback, windowMs, max) };
}

/** The 429 of a client over the limit of `max` requests, whose window ends in `ttlMs` (the lane's too). */
export function rateLimitRefusal(max: number, ttlMs: number): Error {
  return Errors.rateLimited(max, Math.max(1, Math.ceil(ttlMs / 1000)));
}

/** `@fastify/rate-limit`'s in-memory store, as the plugin makes it by default (no exceeding extension, no backoff). */
async function localStore(): Promise<CountingStore> {
  // Not among the package's typed entry points: the specifier is kept out of type checking.
  const specifier = "@fastify/rate-limit/store/LocalStore.js";
  const { default: LocalStore } = (await import(specifier)) as {
    default: new (continueExceeding: boolean, exponentialBackoff: boolean) => CountingStore;
  };
  const local = new LocalStore(false, false);
  // It calls back with its own record of the key, which the next hit changes in place: requests
  // counted before an earlier one read its count (pipelined requests, several in one turn) would all
  // read the last count. Each gets a copy of its own.
  const store: CountingStore = {
    incr: (key, callback, timeWindow, max) =>
      local.incr(
        key,
        (err, r) => callback(err, r === undefined ? undefined : { current: r.current, ttl: r.ttl }),
        timeWindow,
        max,
      ),
    child: () => store,
  };
  return store;
}
