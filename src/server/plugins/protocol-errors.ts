/**
 * @module The error shape of the V2 and V1 protocol routes: `{"error": "<message>", "code": "MS_*"}`
 * with the error's HTTP status and an `x-error-code` header. Protocol clients read `error` as a string;
 * the stable code stays available to anyone who looks. 5xx are logged, never detailed.
 */

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ModelServeError } from "../../errors.ts";
import { type ErrorAnswer, type ErrorLog, errorAnswer, replyErrorAnswer } from "./error-handler.ts";

/** A failure as the protocol routes answer it. */
export interface ProtocolErrorAnswer {
  readonly error: ModelServeError;
  readonly retryAfter?: string;
  readonly body: { readonly error: string; readonly code: string };
}

/** The protocols' shape of a failure's answer: the message as `error`, and the stable code. */
function protocolShape(a: ErrorAnswer): ProtocolErrorAnswer {
  return {
    error: a.error,
    ...(a.retryAfter === undefined ? {} : { retryAfter: a.retryAfter }),
    body: { error: a.error.message, code: a.error.code },
  };
}

/**
 * The protocol answer to a failure (the fast lane's; Fastify's V2/V1 error handler below): the same
 * error, logging and `Retry-After` as the native routes, in the protocol's shape.
 */
export function protocolErrorAnswer(
  err: unknown,
  reqId: string,
  log: ErrorLog,
  bodyLimit: number,
  contentType: string | undefined,
): ProtocolErrorAnswer {
  return protocolShape(errorAnswer(err, reqId, log, bodyLimit, contentType));
}

/** Answers `err` in the protocol error shape. */
export function sendProtocolError(
  err: FastifyError | ModelServeError,
  req: FastifyRequest,
  reply: FastifyReply,
  bodyLimit: number,
): void {
  const a = protocolShape(replyErrorAnswer(err, req, reply, bodyLimit));
  reply.header("x-error-code", a.error.code).code(a.error.statusCode).send(a.body);
}
