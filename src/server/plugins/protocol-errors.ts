/**
 * @module The error shape of the V2 and V1 protocol routes: `{"error": "<message>", "code": "MS_*"}`
 * with the error's HTTP status and an `x-error-code` header. Protocol clients read `error` as a string;
 * the stable code stays available to anyone who looks. 5xx are logged, never detailed.
 */

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ModelServeError } from "../../errors.ts";
import { type ErrorLog, errorAnswer } from "./error-handler.ts";

/** A failure as the protocol routes answer it. */
export interface ProtocolErrorAnswer {
  readonly error: ModelServeError;
  readonly retryAfter?: string;
  readonly body: { readonly error: string; readonly code: string };
}

/**
 * The protocol answer to a failure (Fastify's V2/V1 error handler and the fast lane share it): the
 * same error, logging and `Retry-After` as the native routes, in the protocol's shape.
 */
export function protocolErrorAnswer(
  err: unknown,
  reqId: string,
  log: ErrorLog,
  bodyLimit: number,
  contentType: string | undefined,
  hasRetryAfter = false,
): ProtocolErrorAnswer {
  const a = errorAnswer(err, reqId, log, bodyLimit, contentType, hasRetryAfter);
  return {
    error: a.error,
    ...(a.retryAfter === undefined ? {} : { retryAfter: a.retryAfter }),
    body: { error: a.error.message, code: a.error.code },
  };
}

/** Answers `err` in the protocol error shape. */
export function sendProtocolError(
  err: FastifyError | ModelServeError,
  req: FastifyRequest,
  reply: FastifyReply,
  bodyLimit: number,
): void {
  const a = protocolErrorAnswer(
    err,
    String(req.id),
    (fields, msg) => req.log.error(fields, msg),
    bodyLimit,
    req.headers["content-type"],
    reply.hasHeader("retry-after"),
  );
  if (a.retryAfter !== undefined) reply.header("retry-after", a.retryAfter);
  reply
    .header("x-request-id", req.id)
    .header("x-error-code", a.error.code)
    .code(a.error.statusCode)
    .send(a.body);
}
