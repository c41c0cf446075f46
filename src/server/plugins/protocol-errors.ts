/**
 * @module The error shape of the V2 and V1 protocol routes: `{"error": "<message>", "code": "MS_*"}`
 * with the error's HTTP status and an `x-error-code` header. Protocol clients read `error` as a string;
 * the stable code stays available to anyone who looks. 5xx are logged, never detailed.
 */

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { Errors, isModelServeError, type ModelServeError } from "../../errors.ts";
import { fromFastify } from "./error-handler.ts";

/** Answers `err` in the protocol error shape. */
export function sendProtocolError(
  err: FastifyError | ModelServeError,
  req: FastifyRequest,
  reply: FastifyReply,
  bodyLimit: number,
): void {
  let e = isModelServeError(err)
    ? err
    : fromFastify(err as FastifyError, bodyLimit, req.headers["content-type"]);
  if (!e) {
    req.log.error({ err, reqId: req.id }, "unhandled error");
    e = Errors.internal(String(req.id));
  } else if (e.statusCode >= 500) {
    req.log.error({ err, reqId: req.id, code: e.code }, "server error");
  }
  if (e.statusCode === 503 && e.code !== "MS_MODEL_LOAD_FAILED" && !reply.hasHeader("retry-after"))
    reply.header("retry-after", e.code === "MS_OVERLOADED" ? "1" : "5");
  reply
    .header("x-request-id", req.id)
    .header("x-error-code", e.code)
    .code(e.statusCode)
    .send({ error: e.message, code: e.code });
}
