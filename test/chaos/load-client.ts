/** @module Chaos test helper: keep-alive HTTP load with every request's send time and outcome recorded. */

import http from "node:http";

/** One request's fate. */
export interface Outcome {
  /** When the request was handed to the socket (ms since the epoch). */
  readonly sentAt: number;
  /** When the answer (or the error) came (ms since the epoch). */
  readonly doneAt: number;
  readonly status?: number;
  /** The socket error code (`ECONNRESET`, `ECONNREFUSED`, …) of a failed request. */
  readonly error?: string;
  /** The `connection` header of the answer. */
  readonly connection?: string;
  /** The `x-request-id` header of the answer. */
  readonly requestId?: string;
  readonly body?: string;
}

/** Sends one request through `agent` and records its outcome (never rejects). */
export function send(
  agent: http.Agent,
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const sentAt = Date.now();
    const req = http.request(
      url,
      {
        agent,
        method: options.method ?? "GET",
        headers: {
          ...(options.body ? { "content-type": "application/json" } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () =>
          resolve({
            sentAt,
            doneAt: Date.now(),
            status: res.statusCode,
            connection: res.headers.connection,
            requestId: res.headers["x-request-id"] as string | undefined,
            body,
          }),
        );
        res.on("error", (err: NodeJS.ErrnoException) =>
          resolve({ sentAt, doneAt: Date.now(), error: err.code ?? err.message }),
        );
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ sentAt, doneAt: Date.now(), error: err.code ?? err.message }),
    );
    req.end(options.body);
  });
}

/**
 * Runs `workers` loops, each sending `next()` back to back over a shared keep-alive agent, until
 * `stop()` returns true or a request is refused (the listener is gone). Resolves with every outcome.
 */
export async function keepAliveLoad(
  url: string,
  workers: number,
  next: (i: number) => { path: string; body?: string; method?: string; headers?: Record<string, string> },
  stop: () => boolean,
): Promise<Outcome[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const outcomes: Outcome[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop()) {
        const r = next(n++);
        const o = await send(agent, `${url}${r.path}`, {
          method: r.method ?? (r.body ? "POST" : "GET"),
          body: r.body,
        });
        outcomes.push(o);
        if (o.error === "ECONNREFUSED" || o.error === "ECONNRESET") break;
      }
    }),
  );
  agent.destroy();
  return outcomes;
}

/** The value at quantile `q` (0–1) of numbers (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
