/**
 * @module Turns every failure into the documented error body `{"error": {code, message, details},
 * "requestId"}` with the right status; 5xx are logged with their stack, never sent to clients.
 */

import type { FastifyError, FastifyInstance } from "fastify";
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

/** Installs the error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let e = isModelServeError(err) ? err : fromFastify(err, bodyLimit, req.headers["content-type"]);
    if (!e) {
      req.log.error({ err, reqId: req.id }, "unhandled error");
      e = Errors.internal(String(req.id));
    } else if (e.statusCode >= 500) {
      req.log.error({ err, reqId: req.id, code: e.code }, "server error");
    }
    // 503s say when to come back (unless a limiter already said), except a load failure that will not heal.
    if (e.statusCode === 503 && e.code !== "MS_MODEL_LOAD_FAILED" && !reply.hasHeader("retry-after"))
      reply.header("retry-after", e.code === "MS_OVERLOADED" ? "1" : "5");
    reply.header("x-request-id", req.id);
    // Messages and details echo parts of the request: cut, so an answer never amplifies its request.
    reply.code(e.statusCode).send({
      error: {
        code: e.code,
        message: cutString(e.message, MAX_MESSAGE_CHARS),
        ...(e.details === undefined ? {} : { details: cutEchoes(e.details) }),
      },
      requestId: req.id,
    });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = Errors.routeNotFound(req.method, req.url.split("?")[0]);
    reply.header("x-request-id", req.id);
    reply
      .code(404)
      .send({ error: { code: e.code, message: cutString(e.message, MAX_MESSAGE_CHARS) }, requestId: req.id });
  });
}
