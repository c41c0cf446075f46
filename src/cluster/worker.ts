/**
 * @module One worker of `serve --workers N`: the unchanged app, wired to the primary. Admin changes
 * go through the primary to every worker (this worker applies them when the primary says so);
 * `/metrics`, `/stats`, rate limits and failed-authentication counts ask the primary; a newly ready
 * version waits behind a promotion gate until every worker has it; a replacement worker replays the
 * changes made since the start before it takes requests.
 */

import cluster from "node:cluster";
import { ModelServeError } from "../errors.ts";
import { PromotionGate } from "../registry/promotion-gate.ts";
import { applyAction } from "../server/admin-actions.ts";
import type { App } from "../server/app.ts";
import type { ClusterHooks, HitResult } from "../server/cluster-hooks.ts";
import {
  type CallOp,
  type ClusterAction,
  type PrimaryMessage,
  type WireError,
  WORKER_INDEX_ENV,
  WORKER_PORT_ENV,
  WORKER_REPLACEMENT_ENV,
  type WorkerMessage,
} from "./messages.ts";

/** This process's worker index when it is a cluster worker (else undefined). */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Where a worker listens: its own socket on the shared port (`SO_REUSEPORT`, the kernel spreads new
 * connections over the workers' sockets). Not the cluster's round-robin through the primary: there,
 * a connection handed to a worker at the instant it dies is never answered; with its own socket, a
 * dead worker's pending connections are reset and new ones go to the living workers.
 */
export function workerListenOptions(
  host: string,
  port: number,
): {
  host: string;
  port: number;
  exclusive: true;
  reusePort: true;
} {
  const picked = Number(process.env[WORKER_PORT_ENV]);
  return {
    host,
    port: Number.isInteger(picked) && picked > 0 ? picked : port,
    exclusive: true,
    reusePort: true,
  };
}

/** Whether this worker replaces one that died (it loads its models before it listens). */
export const isReplacement = (): boolean => process.env[WORKER_REPLACEMENT_ENV] === "1";

const post = (msg: WorkerMessage) => {
  if (process.connected) process.send!(msg);
};

const toWire = (err: unknown): WireError => {
  const e = err as { code?: string; message?: string; statusCode?: number; details?: unknown };
  return { code: e.code, message: e.message ?? String(err), statusCode: e.statusCode, details: e.details };
};

/** Rebuilds a worker's error on this side: an `MS_*` error keeps its code, status and details. */
const fromWire = (w: WireError): Error =>
  w.code?.startsWith("MS_") && w.statusCode !== undefined
    ? new ModelServeError(w.code, w.statusCode, w.message, w.details)
    : new Error(w.message);

/** A worker's link to the primary. */
export class WorkerLink implements ClusterHooks {
  readonly index: number;
  readonly #app: App;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Hits not yet sent (see {@link WorkerLink.hit}). */
  #hits: {
    readonly key: string;
    readonly windowMs: number;
    readonly resolve: (r: HitResult) => void;
    readonly reject: (e: Error) => void;
  }[] = [];
  #nextId = 1;

  constructor(app: App, index: number) {
    this.#app = app;
    this.index = index;
    process.on("message", (msg: PrimaryMessage) => this.#onMessage(msg));
    // Without the primary nobody routes connections here any more: shut down gracefully.
    process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  }

  #call(op: CallOp): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      post({ t: "call", id, ...op } as WorkerMessage);
    });
  }

  #onMessage(msg: PrimaryMessage): void {
    switch (msg.t) {
      case "reply": {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(fromWire(msg.value as WireError));
        return;
      }
      case "apply":
        applyAction(this.#app.context, msg.action, msg.at).then(
          (value) => post({ t: "applied", id: msg.id, ok: true, value }),
          (err: unknown) => post({ t: "applied", id: msg.id, ok: false, value: toWire(err) }),
        );
        return;
      case "collect": {
        const metrics = this.#app.context.metrics;
        const value =
          msg.what === "metrics"
            ? (metrics?.render() ?? Promise.resolve(""))
            : Promise.resolve(metrics?.statsSnapshot() ?? { versions: [], sections: {} });
        value.then(
          (v) => post({ t: "collected", id: msg.id, value: v }),
          () =>
            post({
              t: "collected",
              id: msg.id,
              value: msg.what === "metrics" ? "" : { versions: [], sections: {} },
            }),
        );
        return;
      }
    }
  }

  /** Applies an action on every worker (through the primary); throws the first worker's failure. */
  async run(action: ClusterAction): Promise<unknown> {
    const res = (await this.#call({ op: "broadcast", action })) as { ok: boolean; value: unknown };
    if (!res.ok) throw fromWire(res.value as WireError);
    return res.value;
  }

  metrics(): Promise<string> {
    return this.#call({ op: "metrics" }) as Promise<string>;
  }

  stats(): Promise<Record<string, unknown>> {
    return this.#call({ op: "stats" }) as Promise<Record<string, unknown>>;
  }

  /**
   * Counts one hit of `key` in the primary's fixed windows. Hits of one turn of the event loop go
   * together in one message (with a rate limit every request counts: one round trip per request
   * cost more than the request), counted in arrival order.
   */
  hit(key: string, windowMs: number): Promise<HitResult> {
    return new Promise((resolve, reject) => {
      if (this.#hits.push({ key, windowMs, resolve, reject }) === 1) setImmediate(() => this.#sendHits());
    });
  }

  #sendHits(): void {
    const batch = this.#hits;
    this.#hits = [];
    this.#call({ op: "hits", hits: batch.map(({ key, windowMs }) => ({ key, windowMs })) }).then(
      (results) => {
        const counted = results as HitResult[];
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(counted[i]!);
      },
      (err: Error) => {
        for (const h of batch) h.reject(err);
      },
    );
  }

  /** Runs `fn` while holding the cluster-wide lock `key` (one worker at a time). */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.#call({ op: "lock", key });
    try {
      return await fn();
    } finally {
      await this.#call({ op: "unlock", key });
    }
  }

  /**
   * Joins the cluster once the models are loaded: applies the changes made since the start (a
   * replacement), then closes the promotion gate so new versions wait for every worker.
   */
  async join(): Promise<void> {
    const { registry } = this.#app.context;
    const history = (await this.#call({ op: "replay" })) as ClusterAction[];
    for (const action of history) {
      // A change that no longer applies (a version since gone) must not stop the worker.
      await applyAction(this.#app.context, action, 0).catch(() => undefined);
    }
    registry.gate = new PromotionGate(registry.all(), (name, version) =>
      post({ t: "candidate", name, version }),
    );
  }

  /** Tells the primary this worker serves (the primary prints one banner for all). */
  ready(url: string, banner: string): void {
    post({ t: "ready", url, banner });
  }
}
