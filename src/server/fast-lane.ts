/**
 * @module The fast lane: the native prediction routes (`/predict`, `/predict_proba`, their `/batch`
 * forms, under the default model, `/models/{name}` and `/models/{name}/versions/{version}`), the
 * Open Inference Protocol's `/v2/models/{name}[/versions/{version}]/infer` and KServe V1's
 * `/v1/models/{name}:predict` answered straight from Node's HTTP server, beside Fastify rather than
 * through it. A single row of a small model costs a few microseconds; Fastify's request and reply
 * objects, hook runners and promise wrappers cost more than the model. The lane takes a request only
 * when its headers alone show it needs nothing else (a JSON body of known length within the limit, no
 * encoding, a valid key where keys are on); everything else — other routes, other methods, a body
 * Fastify must refuse, a missing or wrong key — goes to Fastify untouched. A rate limit counts the
 * lane's requests in the same store as Fastify's, and CORS adds its plugin's headers
 * (`plugins/access.ts`). What the lane answers is what Fastify answers, byte for byte (the same
 * pipeline, answer writer, error answers, request id, log line, metrics and audit:
 * `test/server/fast-lane.test.ts` compares the two on every case).
 */

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import forwarded from "@fastify/forwarded";
import type { Logger } from "pino";
import type { Method } from "../inference/run.ts";
import { decodeInstances, decodeRow } from "../schema/json-rows.ts";
import { type KeyChecker, presentedKey } from "../security/api-keys.ts";
import type { HitResult } from "./cluster-hooks.ts";
import type { AppContext, RequestModel } from "./context.ts";
import { count, UNLIMITED, type Verdict, verdictOf } from "./lane-rate-limit.ts";
import type { RateLimit } from "./plugins/access.ts";
import { type ErrorLog, errorAnswer, errorLogOf } from "./plugins/error-handler.ts";
import { protocolErrorAnswer } from "./plugins/protocol-errors.ts";
import { answerJson } from "./predict/answer-json.ts";
import { parseBody, rowsOfBody } from "./predict/body.ts";
import { type PredictCall, predictRows } from "./predict/pipeline.ts";
import { inferAnswerText } from "./protocols/v2/answer-text.ts";
import { decodePlainInfer } from "./protocols/v2/json-infer.ts";
import { inferV2 } from "./protocols/v2/service.ts";
import { requestIdOf } from "./request-id.ts";
import { v1Predict } from "./routes/v1.ts";
import { decodeInferBody } from "./routes/v2.ts";

/** A prediction route as the lane knows it. */
export interface LaneRoute {
  /** The route pattern, as Fastify names it (logs and metrics). */
  readonly pattern: string;
  readonly name?: string;
  readonly version?: string;
  readonly method: Method;
  readonly batch: boolean;
  /**
   * A protocol route (its body, answer and error shapes), not a native one: the Open Inference
   * Protocol's `infer` (`v2`) or KServe V1's `:predict` (`v1`).
   */
  readonly protocol?: "v2" | "v1";
  /** Fastify's own pattern, where it differs from `pattern` (logged for a request the handler never saw). */
  readonly fastifyPattern?: string;
}

// Path segments Fastify's router passes through unchanged (no percent-encoding, no separators).
const SEGMENT = "([A-Za-z0-9._-]+)";
// One optional trailing slash, as Fastify's `ignoreTrailingSlash`; no query string (Fastify's router
// strips one; such requests take Fastify's path).
const ROUTE = new RegExp(
  `^(?:/models/${SEGMENT}(?:/versions/${SEGMENT})?)?/(predict|predict_proba)(/batch)?/?$`,
);

const V2_ROUTE = new RegExp(`^/v2/models/${SEGMENT}(?:/versions/${SEGMENT})?/infer/?$`);
// KServe V1's `:predict`, exactly (Fastify's route takes the name up to the colon).
const V1_ROUTE = new RegExp(`^/v1/models/${SEGMENT}:predict$`);

/** The prediction route of a URL, or undefined when the lane does not serve it. */
export function matchLaneRoute(url: string): LaneRoute | undefined {
  const v2 = V2_ROUTE.exec(url);
  if (v2 !== null) {
    const [, name, version] = v2;
    return {
      pattern: version === undefined ? "/v2/models/:name/infer" : "/v2/models/:name/versions/:version/infer",
      name,
      ...(version === undefined ? {} : { version }),
      method: "predict",
      batch: false,
      protocol: "v2",
    };
  }
  const v1 = V1_ROUTE.exec(url);
  if (v1 !== null)
    return {
      pattern: "/v1/models/:name:predict",
      fastifyPattern: "/v1/models/:name(^[^:/]+)::predict",
      name: v1[1],
      method: "predict",
      batch: false,
      protocol: "v1",
    };
  const m = ROUTE.exec(url);
  if (m === null) return undefined;
  const [, name, version, verb, batch] = m;
  const prefix =
    name === undefined ? "" : version === undefined ? "/models/:name" : "/models/:name/versions/:version";
  return {
    pattern: `${prefix}/${verb}${batch ?? ""}`,
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
    method: verb as Method,
    batch: batch !== undefined,
  };
}

/** How the lane's request ended, for the request log, metrics and audit (the plugin's `onResponse`). */
export interface LaneFinished {
  readonly reqId: string;
  readonly method: string;
  /** The route pattern and raw URL (logged as Fastify logs a request its handler never saw). */
  readonly route: string;
  readonly url: string;
  /** What the request resolved to; empty when it failed before the handler's step (the body's parsing). */
  readonly entry: RequestModel;
  readonly keyId?: string;
  readonly status: number;
  readonly elapsedMs: number;
}

/** What the lane needs from the app. */
export interface FastLaneSettings {
  readonly context: AppContext;
  readonly logger: Logger;
  /** Accepted API keys: a request with a valid key of the `predict` scope takes the lane, others Fastify. */
  readonly keys?: KeyChecker;
  /** The rate limit, counted in the same store as Fastify's requests (`plugins/access.ts`). */
  readonly rateLimit?: RateLimit;
  /** The CORS headers of a request by its `Origin`, when CORS is on (`corsHeaders`, `plugins/access.ts`). */
  readonly cors?: (origin: string | undefined) => readonly string[];
  /**
   * With the durable audit (`auditSync: each`): writes a sampled prediction's record, and throws
   * `MS_AUDIT_UNAVAILABLE` when it cannot (the plugin's, shared with its preSerialization hook).
   */
  readonly durable?: (
    reqId: string,
    keyId: string | undefined,
    url: string,
    status: number,
    elapsedMs: number,
    entry: RequestModel,
  ) => Promise<void>;
  /** The plugin's end of a request: log line, metrics, audit. */
  readonly finish: (f: LaneFinished) => void;
  /** The plugin's count of an error by code (Fastify's `onError` hook). */
  readonly failed?: (err: unknown) => void;
}

const JSON_TYPE = /^application\/json\s*(?:;\s*charset=utf-8\s*)?$/i;

/** Requests each server's lane took (a count, for tests and diagnostics: the answers are Fastify's bytes). */
const taken = new WeakMap<Server, { taken: number }>();

/** How many requests the lane of `server` has taken. */
export function laneTaken(server: Server): number {
  return taken.get(server)?.taken ?? 0;
}

/**
 * Puts the lane in front of Fastify's request handler `fastifyHandler` on `server`, at the same place
 * among the `request` listeners. Returns false (and changes nothing) when that handler is not there.
 */
export function installFastLane(
  server: Server,
  fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void,
  settings: FastLaneSettings,
): boolean {
  const listeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  const at = listeners.indexOf(fastifyHandler);
  if (at === -1) return false;
  const take = laneOf(settings);
  const count = { taken: 0 };
  taken.set(server, count);
  const lane = (req: IncomingMessage, res: ServerResponse): void => {
    if (take(req, res)) count.taken++;
    else fastifyHandler(req, res);
  };
  server.removeAllListeners("request");
  for (let i = 0; i < listeners.length; i++) server.on("request", i === at ? lane : listeners[i]);
  return true;
}

/** What Fastify's hooks would do around a lane route's handler (see the lane's `Step`). */
interface Around extends Verdict {
  readonly hold?: () => Promise<void>;
}

/** The lane's request handler: true when it took the request (and will answer it). */
function laneOf(settings: FastLaneSettings): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { context: ctx, logger, keys, rateLimit, cors, durable, finish, failed } = settings;
  const { bodyLimit, maxBatchSize, trustProxy } = ctx.settings;
  /**
   * The client's address as Fastify's `request.ip` gives it: the socket's, or behind a trusted proxy
   * (`trustProxy`: every hop trusted) the first address of `X-Forwarded-For`, parsed by the same
   * package Fastify's proxy-addr uses.
   */
  const clientIp = (req: IncomingMessage): string | undefined => {
    if (!trustProxy) return req.socket.remoteAddress;
    const addrs = forwarded(req);
    return addrs[addrs.length - 1];
  };
  // Route matches by URL: a server sees few distinct prediction URLs. Bounded.
  const routes = new Map<string, LaneRoute | null>();
  const routeOf = (url: string): LaneRoute | undefined => {
    let r = routes.get(url);
    if (r === undefined) {
      r = matchLaneRoute(url) ?? null;
      if (routes.size < 1024) routes.set(url, r);
    }
    return r ?? undefined;
  };

  /**
   * Writes an answer with Fastify's headers in Fastify's order: the rate limit's (set by its request
   * hook), the request id (and `Connection: close` while draining), then `extra`, then the type and
   * length. Nothing is written to a response already sent or destroyed (a client that went away).
   */
  const write = (
    res: ServerResponse,
    status: number,
    lead: readonly string[],
    reqId: string,
    out: string,
    extra: string[],
  ) => {
    if (res.headersSent || res.destroyed) return;
    const headers = lead.length === 0 ? ["x-request-id", reqId] : [...lead, "x-request-id", reqId];
    if (ctx.shuttingDown) headers.push("connection", "close");
    const length = Buffer.byteLength(out);
    headers.push(
      ...extra,
      "content-type",
      "application/json; charset=utf-8",
      "content-length",
      String(length),
    );
    res.writeHead(status, headers);
    // As many bytes as characters: the answer is ASCII (names, ids and headers are), whose UTF-8 bytes
    // are its latin1 bytes, written without the encoder's pass (~28 µs of a 74 kB batch answer's 40).
    res.end(out, length === out.length ? "latin1" : "utf8");
  };
  /** The headers of a prediction's answer: the version that answered and the model's time. */
  const answered = (model: string, inferenceMs: number) => [
    "x-model",
    model,
    "server-timing",
    `inference;dur=${inferenceMs.toFixed(3)}`,
  ];

  /**
   * One kind of route's answer: writes it (or the error's) and returns the status. `limit` is what
   * Fastify's hooks would do around the handler: headers for every answer (CORS, the rate limit's), a
   * refusal (over the rate limit), and work the answer waits for (the durable audit record).
   */
  type Step = (
    req: IncomingMessage,
    res: ServerResponse,
    route: LaneRoute,
    bytes: Buffer,
    reqId: string,
    entry: RequestModel,
    log: ErrorLog,
    limit: Around,
  ) => Promise<number>;

  // A native route: the prediction pipeline, the native answer and error shapes.
  const nativeAnswer: Step = async (req, res, route, bytes, reqId, entry, log, limit) => {
    // The prediction's headers, once it ran: an answer refused after it (no durable audit record)
    // keeps them, as Fastify's reply keeps the headers its handler set.
    let done: string[] = [];
    try {
      // Refused by the rate limit's request hook in Fastify: before the body is read.
      if (limit.refusal) throw limit.refusal;
      // Numbers in the plain shapes are read straight from the bytes (a body read so is one the
      // general parser takes, with the same values); any other body is parsed as Fastify's
      // content-type parser parses it, with the same refusals.
      const decoded = route.batch ? decodeInstances(bytes, maxBatchSize) : decodeRow(bytes);
      const body = decoded
        ? undefined
        : parseBody(bytes.toString("utf8"), route.batch ? maxBatchSize : undefined);
      entry.route = route.pattern;
      const key = req.headers["x-routing-key"];
      const call: PredictCall = {
        name: route.name,
        version: route.version,
        method: route.method,
        path: route.batch ? "instances" : "",
        reqId,
        routingKey: typeof key === "string" ? key : undefined,
        rows: () =>
          rowsOfBody(decoded ? JSON.parse(bytes.toString("utf8")) : body, route.batch, maxBatchSize),
        decoded,
        log,
      };
      const p = await predictRows(ctx, call, entry);
      done = answered(`${p.version.name}@${p.version.version}`, p.result.inferenceMs);
      if (limit.hold) await limit.hold();
      write(res, 200, limit.headers, reqId, answerJson(p, route.method, route.batch), done);
      return 200;
    } catch (err) {
      failed?.(err);
      const a = errorAnswer(err, reqId, log, bodyLimit, req.headers["content-type"]);
      const out = JSON.stringify(a.body);
      write(
        res,
        a.error.statusCode,
        limit.headers,
        reqId,
        out,
        a.retryAfter === undefined ? done : [...done, "retry-after", a.retryAfter],
      );
      return a.error.statusCode;
    }
  };

  // `/v2/.../infer` and `/v1/...:predict`: each route's own steps (routes/v2.ts, routes/v1.ts), its
  // headers and the protocols' error shape.
  const protocolAnswer: Step = async (req, res, route, bytes, reqId, entry, log, limit) => {
    let done: string[] = [];
    try {
      if (limit.refusal) throw limit.refusal;
      // Parsed as by Fastify's content-type parser (V1 rows of plain numbers read from the bytes, as on
      // the native routes); the route recorded where the handler records it.
      const rows = route.protocol === "v1" ? decodeInstances(bytes, maxBatchSize) : undefined;
      const plain = route.protocol === "v2" ? decodePlainInfer(bytes) : undefined;
      // Read from the bytes, the body needs no parsing (V1 parses it only if the model asks, below).
      const parsed = rows !== undefined ? undefined : (plain ?? parseBody(bytes.toString("utf8")));
      entry.route = route.pattern;
      const key = req.headers["x-routing-key"];
      const routingKey = typeof key === "string" ? key : undefined;
      if (route.protocol === "v1") {
        const decoded = rows && { rows, parse: () => JSON.parse(bytes.toString("utf8")) };
        const a = await v1Predict(ctx, route.name!, parsed, routingKey, reqId, log, entry, decoded);
        done = answered(a.model, a.inferenceMs);
        if (limit.hold) await limit.hold();
        write(res, 200, limit.headers, reqId, JSON.stringify(a.body), done);
        return 200;
      }
      const body = decodeInferBody(parsed);
      const a = await inferV2(
        ctx,
        {
          name: route.name!,
          version: route.version,
          id: body.id,
          inputs: body.inputs,
          outputs: body.outputs,
          routingKey,
        },
        entry,
        reqId,
        log,
      );
      done = answered(`${a.model_name}@${a.model_version}`, a.inferenceMs);
      if (limit.hold) await limit.hold();
      write(res, 200, limit.headers, reqId, inferAnswerText(a), done);
      return 200;
    } catch (err) {
      failed?.(err);
      const a = protocolErrorAnswer(err, reqId, log, bodyLimit, req.headers["content-type"]);
      const extra = a.retryAfter === undefined ? done : [...done, "retry-after", a.retryAfter];
      write(res, a.error.statusCode, limit.headers, reqId, JSON.stringify(a.body), [
        ...extra,
        "x-error-code",
        a.error.code,
      ]);
      return a.error.statusCode;
    }
  };

  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: LaneRoute,
    bytes: Buffer,
    reqId: string,
    keyId: string | undefined,
    start: number,
    counted: Promise<HitResult> | undefined,
  ): Promise<void> => {
    // The route is recorded where Fastify's handler records it: once the body parsed.
    const entry: RequestModel = {};
    // The request's child logger, made only when something is logged (as Fastify's lazy one).
    const log: ErrorLog = errorLogOf(() => logger.child({ reqId }));
    const counts = counted === undefined ? UNLIMITED : await verdictOf(counted, rateLimit!.max);
    // The CORS plugin's headers come first: its request hook runs before the rate limit's.
    let limit: Around =
      cors === undefined ? counts : { ...counts, headers: [...cors(req.headers.origin), ...counts.headers] };
    // A sampled prediction's durable audit record is written before its answer, as Fastify's
    // preSerialization hook writes it (a failed write refuses the answer with 503).
    if (durable)
      limit = {
        ...limit,
        hold: () => durable(reqId, keyId, req.url ?? "", 200, performance.now() - start, entry),
      };
    const status = route.protocol
      ? await protocolAnswer(req, res, route, bytes, reqId, entry, log, limit)
      : await nativeAnswer(req, res, route, bytes, reqId, entry, log, limit);
    finish({
      reqId,
      method: "POST",
      // Fastify's own pattern for a request whose handler never ran (the body failed to parse).
      route: route.fastifyPattern ?? route.pattern,
      url: req.url ?? "",
      entry,
      keyId,
      status,
      elapsedMs: performance.now() - start,
    });
  };

  return (req, res) => {
    if (req.method !== "POST") return false;
    const route = routeOf(req.url ?? "");
    if (route === undefined) return false;
    const h = req.headers;
    // Only what Fastify would read as this body and nothing else: a JSON type, a declared length within
    // the limit, no transfer or content encoding, no `Expect`. Anything else is Fastify's to answer.
    const type = h["content-type"];
    if (type === undefined || (type !== "application/json" && !JSON_TYPE.test(type))) return false;
    const length = Number(h["content-length"]);
    if (!(length > 0 && length <= bodyLimit)) return false;
    if (h["transfer-encoding"] !== undefined || h["content-encoding"] !== undefined || h.expect !== undefined)
      return false;
    let keyId: string | undefined;
    if (keys !== undefined && keys.size > 0) {
      const presented = presentedKey(h);
      const key = presented === undefined ? undefined : keys.match(presented);
      // Refusals (401, 403, 429 past the failure budget) are Fastify's access hook's.
      if (key === undefined || !key.scopes.has("predict")) return false;
      keyId = key.id;
    }
    const start = performance.now();
    const reqId = requestIdOf(h);
    // Counted on arrival, as the plugin's request hook counts before the body is read; keyed as its
    // key generator keys.
    const counted =
      rateLimit && count(rateLimit, keyId === undefined ? `ip:${clientIp(req)}` : `key:${keyId}`);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      void answer(req, res, route, bytes, reqId, keyId, start, counted);
    });
    // A client that goes away mid-body gets no answer; its socket is already closed.
    req.on("error", () => undefined);
    return true;
  };
}
