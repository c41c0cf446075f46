/**
 * @module The primary process of `serve --workers N`: it serves no request itself. It forks N workers
 * (each the unchanged `serve`, sharing the port through `node:cluster`), and is the one place where
 * they agree: admin changes go to every worker with one switch time, new versions are promoted only
 * once every worker has them, `/metrics` and `/stats` are gathered from all, rate-limit and
 * failed-authentication counters are kept here, a worker that dies is replaced (logged and counted),
 * and SIGTERM drains every worker before the primary exits.
 */

import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import type { Logger } from "pino";
import { mergeBatchingSummaries } from "../inference/batching-summary.ts";
import type { BatchingSummary } from "../inference/micro-batcher.ts";
import { mergeExpositions } from "../observability/merge-exposition.ts";
import { mergeStats, type StatsSnapshot } from "../observability/stats.ts";
import { armExitWatchdog, guardStdio } from "../observability/stdio-guard.ts";
import {
  type CallOp,
  type ClusterAction,
  type PrimaryMessage,
  WORKER_INDEX_ENV,
  WORKER_PORT_ENV,
  WORKER_REPLACEMENT_ENV,
  type WorkerMessage,
} from "./messages.ts";

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  readonly workers: number;
  /** Interface and port the workers bind (port 0: the primary picks a free one for all). */
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Shutdown deadline of each worker (ms), as `--shutdown-timeout-ms`. */
  readonly shutdownTimeoutMs: number;
  /** Readiness drain delay of each worker (ms), as `--drain-delay-ms`. */
  readonly drainDelayMs: number;
  /** Called with the exit code (default `process.exit`). */
  readonly exit?: (code: number) => void;
}

/** How far ahead a routing change is scheduled, so every worker has it before it takes effect (ms). */
export const SWITCH_AHEAD_MS = 100;
/** How long the primary waits for a worker's metrics or stats before leaving it out (ms). */
const COLLECT_TIMEOUT_MS = 5_000;
/** Restart delays of a crashing worker: doubled while it keeps dying young, up to the maximum (ms). */
const RESTART_MIN_MS = 250;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long before dying is restarted at once (ms). */
const STABLE_MS = 10_000;

interface Member {
  worker: Worker;
  readonly index: number;
  readonly startedAt: number;
  /** Receives broadcasts (initial workers from the start; replacements once they replayed the log). */
  joined: boolean;
  ready: boolean;
}

interface Gathering {
  readonly waiting: Set<number>;
  readonly values: Map<number, unknown>;
  readonly done: (values: Map<number, unknown>) => void;
  readonly timer?: NodeJS.Timeout;
}

/** A free TCP port on `host` (for `--port 0`: every worker must bind the same one). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host, port: 0 }, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Forks and supervises the workers until they all exit after a shutdown signal. */
export async function runPrimary(o: PrimaryOptions): Promise<void> {
  const port = o.port === 0 ? await freePort(o.host) : o.port;
  const log = o.logger;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const members = new Map<number, Member>();
  /** Actions applied so far, replayed to replacements. */
  const history: ClusterAction[] = [];
  const gatherings = new Map<number, Gathering>();
  const candidates = new Map<string, Set<number>>();
  const approved = new Set<string>();
  const windows = new Map<string, { count: number; resetAt: number }>();
  const restartDelay = new Map<number, number>();
  /** Cluster-wide locks: the holder's index and the callbacks of those waiting, in order. */
  const locks = new Map<string, { holder: number; queue: { index: number; grant: () => void }[] }>();
  const unlock = (key: string, index: number) => {
    const l = locks.get(key);
    if (!l || l.holder !== index) return;
    const next = l.queue.shift();
    if (!next) locks.delete(key);
    else {
      l.holder = next.index;
      next.grant();
    }
  };
  let nextId = 1;
  let restarts = 0;
  let stopping = false;
  let announced = false;
  let firstCode = 0;

  const send = (m: Member, msg: PrimaryMessage) => {
    // A dying worker can still read as connected: the send then fails (EPIPE). With a callback the
    // failure comes here instead of as an 'error' event on the worker, which, unheard, ended the
    // primary (seen once in CI while a test killed a worker during a /metrics gathering). Its exit
    // event does the rest: its gatherings and locks are released there.
    if (m.worker.isConnected())
      m.worker.send(msg, (err: Error | null) => {
        if (err) log.debug({ worker: m.index, err: err.message }, "message to an exiting worker not sent");
      });
  };

  const fork = (index: number, replacement: boolean) => {
    const worker = cluster.fork({
      [WORKER_INDEX_ENV]: String(index),
      [WORKER_REPLACEMENT_ENV]: replacement ? "1" : "",
      [WORKER_PORT_ENV]: String(port),
    });
    const member: Member = { worker, index, startedAt: Date.now(), joined: !replacement, ready: false };
    members.set(index, member);
    worker.on("message", (msg: WorkerMessage) => onMessage(member, msg));
    // Errors of the IPC channel (a send racing the worker's death): the exit event handles the death.
    worker.on("error", (err: Error) =>
      log.debug({ worker: index, err: err.message }, "worker channel error"),
    );
  };

  /** Sends `msg(id)` to the joined workers and resolves with their answers (by worker index). */
  const gather = (
    make: (id: number) => PrimaryMessage,
    timeoutMs?: number,
    only?: (m: Member) => boolean,
  ): Promise<Map<number, unknown>> =>
    new Promise((resolve) => {
      const id = nextId++;
      const targets = [...members.values()].filter((m) => m.joined && (only?.(m) ?? true));
      if (targets.length === 0) return resolve(new Map());
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(id), timeoutMs).unref();
      gatherings.set(id, {
        waiting: new Set(targets.map((m) => m.index)),
        values: new Map(),
        done: resolve,
        timer,
      });
      for (const m of targets) send(m, make(id));
    });

  const finish = (id: number) => {
    const g = gatherings.get(id);
    if (!g) return;
    gatherings.delete(id);
    if (g.timer) clearTimeout(g.timer);
    g.done(g.values);
  };

  const answer = (id: number, index: number, value: unknown) => {
    const g = gatherings.get(id);
    if (!g?.waiting.delete(index)) return;
    g.values.set(index, value);
    if (g.waiting.size === 0) finish(id);
  };

  /** Applies an action on every joined worker; routing changes take effect at one instant. */
  const broadcast = (action: ClusterAction): Promise<Map<number, unknown>> => {
    history.push(action);
    const at = action.kind === "load" ? 0 : Date.now() + SWITCH_AHEAD_MS;
    return gather((id) => ({ t: "apply", id, action, at }));
  };

  /** Promotes versions that every joined worker has ready. */
  const promote = () => {
    const joined = [...members.values()].filter((m) => m.joined).map((m) => m.index);
    for (const [key, have] of candidates) {
      if (approved.has(key) || joined.length === 0 || !joined.every((i) => have.has(i))) continue;
      approved.add(key);
      candidates.delete(key);
      const at = key.lastIndexOf("@");
      const action: ClusterAction = { kind: "approve", name: key.slice(0, at), version: key.slice(at + 1) };
      log.info({ model: action.name, version: action.version }, "every worker has the version; promoting it");
      void broadcast(action);
    }
  };

  const hit = (key: string, windowMs: number) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + windowMs };
      windows.set(key, w);
    }
    w.count++;
    return { current: w.count, ttl: w.resetAt - now };
  };
  setInterval(() => {
    const now = Date.now();
    for (const [k, w] of windows) if (now >= w.resetAt) windows.delete(k);
  }, 60_000).unref();

  const primaryMetrics = () =>
    [
      "# HELP modelserve_workers Worker processes serving the port",
      "# TYPE modelserve_workers gauge",
      `modelserve_workers ${[...members.values()].filter((m) => m.ready).length}`,
      "# HELP modelserve_worker_restarts_total Workers that died and were replaced",
      "# TYPE modelserve_worker_restarts_total counter",
      `modelserve_worker_restarts_total ${restarts}`,
      "",
    ].join("\n");

  const call = async (m: Member, msg: { id: number } & CallOp) => {
    const reply = (ok: boolean, value?: unknown) => send(m, { t: "reply", id: msg.id, ok, value });
    switch (msg.op) {
      case "broadcast": {
        const results = await broadcast(msg.action);
        // The caller gets its own result; a failure anywhere is reported (the first one).
        const failure = [...results.values()].find((r) => (r as { ok: boolean }).ok === false);
        return reply(
          true,
          failure ??
            results.get(m.index) ?? { ok: false, value: { message: "no worker applied the change" } },
        );
      }
      case "metrics": {
        const texts = await gather(
          (id) => ({ t: "collect", id, what: "metrics" }),
          COLLECT_TIMEOUT_MS,
          (x) => x.ready,
        );
        const parts = [...texts].map(([worker, text]) => ({ worker, text: String(text) }));
        return reply(true, mergeExpositions(parts) + primaryMetrics());
      }
      case "stats": {
        const snaps = await gather(
          (id) => ({ t: "collect", id, what: "stats" }),
          COLLECT_TIMEOUT_MS,
          (x) => x.ready,
        );
        const doc = mergeStats([...snaps.values()] as StatsSnapshot[], startedAt);
        // Each worker's own `auto` decisions, not only the first's.
        const batching = mergeBatchingSummaries(
          [...snaps].flatMap(([worker, snap]) => {
            const summary = (snap as StatsSnapshot).sections.batching as BatchingSummary | undefined;
            return summary ? [{ worker, summary }] : [];
          }),
        );
        return reply(true, {
          ...doc,
          ...(batching ? { batching } : {}),
          workers: { running: [...members.values()].filter((x) => x.ready).length, restarts },
        });
      }
      case "replay":
        m.joined = true;
        reply(true, history);
        promote();
        return;
      case "hits":
        return reply(
          true,
          msg.hits.map((h) => hit(h.key, h.windowMs)),
        );
      case "lock": {
        const l = locks.get(msg.key);
        if (!l) {
          locks.set(msg.key, { holder: m.index, queue: [] });
          return reply(true);
        }
        l.queue.push({ index: m.index, grant: () => reply(true) });
        return;
      }
      case "unlock":
        unlock(msg.key, m.index);
        return reply(true);
    }
  };

  const onMessage = (m: Member, msg: WorkerMessage) => {
    switch (msg.t) {
      case "ready":
        m.ready = true;
        if (!announced && [...members.values()].every((x) => x.ready)) {
          announced = true;
          process.stderr.write(msg.banner.replace(/(listening on \S+)/, `$1 (${o.workers} workers)`));
          log.info({ workers: o.workers, url: msg.url }, "ready");
        }
        return;
      case "call":
        void call(m, msg).catch((err: unknown) => {
          send(m, { t: "reply", id: msg.id, ok: false, value: { message: (err as Error).message } });
        });
        return;
      case "candidate": {
        const key = `${msg.name}@${msg.version}`;
        if (approved.has(key)) return;
        const have = candidates.get(key) ?? new Set<number>();
        have.add(m.index);
        candidates.set(key, have);
        promote();
        return;
      }
      case "applied":
        answer(msg.id, m.index, { ok: msg.ok, value: msg.value });
        return;
      case "collected":
        answer(msg.id, m.index, msg.value);
        return;
    }
  };

  const startedAt = Date.now();
  cluster.on("exit", (worker, code, signal) => {
    const m = [...members.values()].find((x) => x.worker === worker);
    if (!m) return;
    members.delete(m.index);
    // A dead worker's locks pass on; nobody waits on its answers.
    for (const [key, l] of locks) {
      l.queue = l.queue.filter((w) => w.index !== m.index);
      unlock(key, m.index);
    }
    for (const [id, g] of gatherings) {
      if (g.waiting.delete(m.index) && g.waiting.size === 0) finish(id);
    }
    if (stopping) {
      if (code !== 0 && firstCode === 0) firstCode = code ?? 1;
      if (members.size === 0) {
        log.info({ code: firstCode }, "every worker stopped");
        exit(firstCode);
      }
      return;
    }
    if (!announced) {
      // A worker that cannot start (a bad model, a port in use) would fail again: stop everything.
      log.error({ worker: m.index, code, signal }, "a worker failed to start; stopping");
      stopping = true;
      firstCode = code || 1;
      for (const x of members.values()) x.worker.process.kill("SIGTERM");
      if (members.size === 0) exit(firstCode);
      return;
    }
    restarts++;
    const lived = Date.now() - m.startedAt;
    const delay =
      lived >= STABLE_MS
        ? 0
        : Math.min(RESTART_MAX_MS, (restartDelay.get(m.index) ?? RESTART_MIN_MS / 2) * 2);
    restartDelay.set(m.index, delay === 0 ? RESTART_MIN_MS / 2 : delay);
    log.error(
      { worker: m.index, pid: worker.process.pid, code, signal, restartInMs: delay, restarts },
      "worker died; replacing it",
    );
    promote();
    setTimeout(() => {
      if (!stopping) fork(m.index, true);
    }, delay).unref();
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    guardStdio();
    armExitWatchdog(o.drainDelayMs + o.shutdownTimeoutMs + 5_000);
    log.info({ signal, workers: members.size }, "shutting down every worker");
    if (members.size === 0) exit(0);
    for (const m of members.values()) m.worker.process.kill(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  for (let i = 1; i <= o.workers; i++) fork(i, false);
}
