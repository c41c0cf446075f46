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

/** Logs a failure with the request's id bound (`req.log.error`). */
export type ErrorLog = (fields: Record<string, unknown>, msg: string) => void;

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
 * The answer to a failure (Fastify's error handler and the fast lane share it). Unexpected faults and
 * 5xx are logged with their stack; the client only ever gets the documented error.
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
  } else if (e.statusCode >= 500) {
    log({ err, reqId, code: e.code }, "server error");
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
    (fields, msg) => req.log.error(fields, msg),
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
