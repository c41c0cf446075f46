/**
 * @module Timeouts against slow clients, as Node HTTP server options: a request's headers (and a new
 * connection's first bytes) within `headersTimeoutMs`, the whole request within `requestTimeoutMs`,
 * checked every second (Node checks every 30 s by default, so a 10 s limit could hold a socket 40 s).
 */

/** Default longest wait for a request's headers (ms). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default longest wait for a whole request (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The timeouts, in ms (0 request timeout: none). */
export interface SlowClientTimeouts {
  readonly requestTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
}

/** Node `http.createServer` options enforcing the timeouts (also valid for `https.createServer`). */
export function serverTimeouts(t: SlowClientTimeouts): {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
} {
  const request = t.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let headers = t.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  // Node refuses a headers timeout longer than the request timeout.
  if (request > 0 && headers > request) headers = request;
  const shortest = Math.min(headers, request > 0 ? request : headers);
  return {
    requestTimeout: request,
    headersTimeout: headers,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(shortest / 4))),
  };
}
