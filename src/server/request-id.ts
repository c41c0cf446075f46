/**
 * @module Request ids: the client's `X-Request-Id` when it is a plain token, else a generated one. One
 * function for Fastify's `genReqId` and the fast lane, so both answer and log the same id.
 */

import { randomUUID } from "node:crypto";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Generated ids: a random per-process prefix plus a counter — unique, sortable, and cheaper than a UUID per request.
const ID_PREFIX = randomUUID().slice(0, 8);
let idCounter = 0;

/** The id of a request with these headers. */
export function requestIdOf(headers: Record<string, string | string[] | undefined>): string {
  const h = headers["x-request-id"];
  return typeof h === "string" && REQUEST_ID.test(h)
    ? h
    : `${ID_PREFIX}-${(++idCounter).toString(36).padStart(6, "0")}`;
}
