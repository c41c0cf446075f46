/**
 * @module Graceful shutdown, in the order a Kubernetes rollout needs: on SIGTERM/SIGINT readiness
 * answers 503 at once while everything else is still served, for the drain delay (so load balancers
 * and endpoint controllers stop sending new work); then the listener closes, open keep-alive
 * connections get `Connection: close` on their next answer and idle ones are closed; in-flight and
 * already-received requests complete; models close, and the process exits 0 — or 1 when the shutdown
 * timeout passes first. Output that cannot be written (a closed or stuck pipe) never delays the exit:
 * a watchdog thread ends the process if the main thread is stuck past the deadline.
 */

import { armExitWatchdog, guardStdio } from "../observability/stdio-guard.ts";
import type { App } from "./app.ts";
import { connectionsOf } from "./connections.ts";

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  /** Deadline for in-flight requests once the listener closed, in milliseconds. */
  readonly timeoutMs: number;
  /** How long readiness answers 503 before the listener closes, in milliseconds (default 0). */
  readonly drainDelayMs?: number;
  /** Called with the exit code once everything is closed (default `process.exit`). */
  readonly exit?: (code: number) => void;
  /** Signals to handle (default SIGTERM and SIGINT). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Arm the exit watchdog (default true with the default `exit`). */
  readonly watchdog?: boolean;
}

/** Extra time past the shutdown deadline before the watchdog kills a stuck process (ms). */
export const WATCHDOG_MARGIN_MS = 2000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Closes the app gracefully (see the module comment); resolves true when everything finished within
 * `timeoutMs` after the drain delay.
 */
export async function closeGracefully(app: App, timeoutMs: number, drainDelayMs = 0): Promise<boolean> {
  const { context, fastify } = app;
  // Readiness first: probes see 503 while requests are still served in full.
  context.draining = true;
  if (drainDelayMs > 0) await sleep(drainDelayMs);
  context.shuttingDown = true;
  const tracker = connectionsOf(fastify.server);
  tracker?.beginClose();
  // New connections are refused from here on; Fastify's close below finds the listener already shut.
  if (fastify.server.listening) fastify.server.close();
  fastify.log.info({ drainDelayMs, closedAt: Date.now() }, "listener closed");
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  // Connections that were busy become idle after their answer (which carried `Connection: close`);
  // keep-alive connections left idle are closed once idle long enough not to race a request.
  const sweeper = setInterval(() => fastify.server.closeIdleConnections(), 50);
  const closing = (async () => {
    await fastify.close();
    await context.registry.close();
    return true as const;
  })();
  const finished = await Promise.race([closing, deadline]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (!finished) {
    tracker?.closeAll();
    fastify.server.closeAllConnections();
  }
  return finished;
}

/** How long an orderly exit waits for its log lines to be written (a reader may have stopped reading). */
const LOG_FLUSH_MS = 1000;

/**
 * Waits until the log lines written so far are out of the process (pino's `flush`), for at most `ms`:
 * an exit would cut a write still under way. Never fails.
 */
type Flushable = { flush?: (cb?: (err?: Error | null) => void) => void };

function flushLogs(log: Flushable, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      if (typeof log.flush === "function") log.flush(done);
      else done();
    } catch {
      done();
    }
  });
}

/** Handles SIGTERM/SIGINT for a listening app; returns a function that removes the handlers. */
export function installShutdown(app: App, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const drainDelayMs = options.drainDelayMs ?? 0;
  const watchdog = options.watchdog ?? options.exit === undefined;
  if (watchdog) guardStdio();
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    if (watchdog) armExitWatchdog(drainDelayMs + options.timeoutMs + WATCHDOG_MARGIN_MS);
    const log = app.fastify.log;
    log.info({ signal, drainDelayMs, timeoutMs: options.timeoutMs }, "shutting down");
    closeGracefully(app, options.timeoutMs, drainDelayMs).then(
      (ok) => {
        if (ok) log.info("shutdown complete");
        else
          log.error(
            { timeoutMs: options.timeoutMs },
            "shutdown deadline passed; closing remaining connections",
          );
        flushLogs(log as Flushable, LOG_FLUSH_MS).then(() => exit(ok ? 0 : 1));
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
