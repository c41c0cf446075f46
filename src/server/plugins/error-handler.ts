/**
 * @module Turns every failure into the documented error body `{"error": {code, message, details},
 * "requestId"}` with the right status; 5xx are logged with their stack, never sent to clients.
 */

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Errors, isModelServeError, type ModelServeError } from "../../errors.ts";
import { cutEchoes, cutString } from "../../util/cut-echoes.ts";

/** Longest error message: room for a few cut echoes and the surrounding sentence. */
const MAX_MESSAGE_CHARS = 500;

/** Maps Fastify's own errors (body parsing, limits) to ours (undefined: an unexpected fault). */
export function fromFastify(
  err: FastifyError,
  bodyLimit: number,
  contentType: string | undefined,
): ModelServeError | undefined {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return Errors.bodyTooLarge(bodyLimit);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return Errors.unsupportedMediaType(contentType ?? "(none)");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return Errors.bodyNotObject("an empty body", 'send a JSON object such as {"features": [...]}');
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return Errors.malformedJson(err.message);
    default:
      if (err.statusCode === 413) return Errors.bodyTooLarge(bodyLimit);
      if (err.statusCode === 415) return Errors.unsupportedMediaType(contentType ?? "(none)");
      if (err instanceof SyntaxError) return Errors.malformedJson(err.message);
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
        return Errors.badRequest(err.message);
      return undefined;
  }
}

/** Logs a failure with the request's id bound (`req.log.error`; `req.log.warn` when `level` says so). */
export type ErrorLog = (fields: Record<string, unknown>, msg: string, level?: "warn") => void;

/** The {@link ErrorLog} of a pino-like logger, got when a line is written (a child made only then). */
export function errorLogOf(
  logger: () => {
    error(fields: Record<string, unknown>, msg: string): void;
    warn(fields: Record<string, unknown>, msg: string): void;
  },
): ErrorLog {
  return (fields, msg, level) =>
    level === "warn" ? logger().warn(fields, msg) : logger().error(fields, msg);
}

/**
 * The refusals a busy or starting server answers by design: a full queue or too many predictions in
 * flight (`MS_OVERLOADED`), a version still loading (`MS_MODEL_NOT_READY`). Each is counted in
 * `/metrics` (`modelserve_errors_total{code}`) and its request line says 503; a log line with a stack
 * for each would be thousands a second under overload, written by a process already short of time.
 */
const REFUSALS: ReadonlySet<string> = new Set(["MS_OVERLOADED", "MS_MODEL_NOT_READY"]);

/**
 * The 5xx that belong to one request: an unexpected fault, a model throwing on its input. Logged each
 * time with the stack, for the request id to find. Every other 5xx says something about the server's
 * state (a timeout budget the model overran, an audit log that cannot be written, a version that
 * failed to load, a missing package) that each request after it would repeat: logged once a second
 * per code with its error, and how many were not logged.
 */
const PER_REQUEST: ReadonlySet<string> = new Set(["MS_INTERNAL", "MS_INFERENCE_FAILED"]);

/**
 * At most one log line per code per interval (refusals, and the 5xx of the server's state): the first
 * failure is logged at once, the ones after it within the interval are counted, and the next line says
 * how many were not logged.
 */
export class FailureThrottle {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  readonly #intervalMs: number;
  readonly #now: () => number;

  /** `intervalMs`: the shortest time between two lines of one code; `now`: the clock (ms). */
  constructor(intervalMs = 1000, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Undefined: count this failure silently; else log it, with the ones of its code not logged before it. */
  note(code: string): { suppressed: number } | undefined {
    const t = this.#now();
    const last = this.#last.get(code);
    if (last !== undefined && t - last.at < this.#intervalMs) {
      last.suppressed++;
      return undefined;
    }
    this.#last.set(code, { at: t, suppressed: 0 });
    return { suppressed: last?.suppressed ?? 0 };
  }
}

/** The process's throttle (one per process: a storm of failures is the process's, not an app's). */
const throttle = new FailureThrottle();

/**
 * Logs a failure the client gets as `e`: faults of one request ({@link PER_REQUEST}) each time with
 * their stack; refusals ({@link REFUSALS}) without a stack, at warn level, and other 5xx with their
 * error at error level, both at most once a second per code; 4xx not at all.
 */
export function logFailure(err: unknown, e: ModelServeError, reqId: string, log: ErrorLog): void {
  if (e.statusCode < 500) return;
  if (REFUSALS.has(e.code)) {
    const r = throttle.note(e.code);
    if (r !== undefined)
      log(
        { reqId, code: e.code, message: e.message, notLoggedBefore: r.suppressed },
        "request refused",
        "warn",
      );
    return;
  }
  if (PER_REQUEST.has(e.code)) {
    log({ err, reqId, code: e.code }, "server error");
    return;
  }
  const r = throttle.note(e.code);
  if (r !== undefined) log({ err, reqId, code: e.code, notLoggedBefore: r.suppressed }, "server error");
}

/** What an error answers: its documented error, the extra header a 503 carries, and the body. */
export interface ErrorAnswer {
  readonly error: ModelServeError;
  /** `Retry-After` value, for a 503 that did not get one from a limiter. */
  readonly retryAfter?: string;
  readonly body: {
    readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
    readonly requestId: string;
  };
}

/**
 * The answer to a failure (Fastify's error handler and the fast lane share it). Unexpected faults are
 * logged with their stack, 5xx as {@link logFailure} says; the client only ever gets the documented
 * error.
 */
export function errorAnswer(
  err: unknown,
  reqId: string,
  log: ErrorLog,
  bodyLimit: number,
  contentType: string | undefined,
  hasRetryAfter = false,
): ErrorAnswer {
  let e = isModelServeError(err) ? err : fromFastify(err as FastifyError, bodyLimit, contentType);
  if (!e) {
    log({ err, reqId }, "unhandled error");
    e = Errors.internal(reqId);
  } else {
    logFailure(err, e, reqId, log);
  }
  // 503s say when to come back (unless a limiter already said), except a load failure that will not heal.
  const retryAfter =
    e.statusCode === 503 && e.code !== "MS_MODEL_LOAD_FAILED" && !hasRetryAfter
      ? e.code === "MS_OVERLOADED"
        ? "1"
        : "5"
      : undefined;
  // Messages and details echo parts of the request: cut, so an answer never amplifies its request.
  return {
    error: e,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    body: {
      error: {
        code: e.code,
        message: cutString(e.message, MAX_MESSAGE_CHARS),
        ...(e.details === undefined ? {} : { details: cutEchoes(e.details) }),
      },
      requestId: reqId,
    },
  };
}

/**
 * {@link errorAnswer} for a failure in a Fastify request, its `Retry-After` set on the reply: the
 * native error handler and the protocols' (protocol-errors.ts) answer from it.
 */
export function replyErrorAnswer(
  err: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  bodyLimit: number,
): ErrorAnswer {
  const a = errorAnswer(
    err,
    String(req.id),
    errorLogOf(() => req.log),
    bodyLimit,
    req.headers["content-type"],
    reply.hasHeader("retry-after"),
  );
  if (a.retryAfter !== undefined) reply.header("retry-after", a.retryAfter);
  reply.header("x-request-id", req.id);
  return a;
}

/** Installs the error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const a = replyErrorAnswer(err, req, reply, bodyLimit);
    // The type said again: Fastify drops it on the way to this handler, and a route's own serializer
    // (the prediction routes') would then send the error body without one.
    reply.code(a.error.statusCode).type("application/json; charset=utf-8").send(a.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const e = Errors.routeNotFound(req.method, req.url.split("?")[0]);
    reply.header("x-request-id", req.id);
    reply
      .code(404)
      .send({ error: { code: e.code, message: cutString(e.message, MAX_MESSAGE_CHARS) }, requestId: req.id });
  });
}
