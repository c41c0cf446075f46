/**
 * @module Graceful shutdown: on SIGTERM/SIGINT readiness flips to 503, the listener stops taking new
 * connections, in-flight requests finish, models close, and the process exits 0 — or 1 when the
 * deadline passes first.
 */

import type { App } from "./app.ts";

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  /** Deadline for in-flight requests, in milliseconds. */
  readonly timeoutMs: number;
  /** Called with the exit code once everything is closed (default `process.exit`). */
  readonly exit?: (code: number) => void;
  /** Signals to handle (default SIGTERM and SIGINT). */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Closes the app gracefully: readiness answers 503 first, then Fastify stops accepting connections
 * and waits for in-flight requests; resolves true when it finished within the deadline.
 */
export async function closeGracefully(app: App, timeoutMs: number): Promise<boolean> {
  app.context.shuttingDown = true;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  // Connections that were busy when closing began become idle after their answer; close those as
  // they appear, so keep-alive clients cannot hold the listener open.
  const sweeper = setInterval(() => app.fastify.server.closeIdleConnections(), 25);
  const closing = (async () => {
    await app.fastify.close();
    await app.context.registry.close();
    return true as const;
  })();
  const finished = await Promise.race([closing, deadline]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (!finished) app.fastify.server.closeAllConnections();
  return finished;
}

/** Handles SIGTERM/SIGINT for a listening app; returns a function that removes the handlers. */
export function installShutdown(app: App, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    const log = app.fastify.log;
    log.info({ signal, timeoutMs: options.timeoutMs }, "shutting down");
    closeGracefully(app, options.timeoutMs).then(
      (ok) => {
        if (ok) log.info("shutdown complete");
        else
          log.error(
            { timeoutMs: options.timeoutMs },
            "shutdown deadline passed; closing remaining connections",
          );
        exit(ok ? 0 : 1);
      },
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
