/**
 * @module Shadow traffic: a candidate version gets a copy of live requests after the answer has gone
 * out, and its predictions are compared with what the live version answered. Bounded memory: counters
 * plus the last few disagreements.
 */

import { Worker } from "node:worker_threads";
import type { ModelRegistry, ReadyVersion } from "../registry/model-registry.ts";
import type { FeatureTable } from "../runtimes/runtime.ts";
import { type PredictionValue, predictionValues } from "./run.ts";

/** How many disagreeing samples are kept per name. */
const MAX_SAMPLES = 20;

/** Shadow calls waiting for an idle moment; beyond this the oldest are skipped (and counted). */
const MAX_QUEUE = 1000;

/** Comparison results of one name's shadow. */
export interface ShadowReport {
  readonly version: string;
  /** Rows compared. */
  readonly rows: number;
  /** Rows whose shadow prediction differed. */
  readonly disagreements: number;
  /** Shadow calls that failed (missing version, error). */
  readonly errors: number;
  /** Shadow calls skipped because the queue was full under sustained load. */
  readonly skipped: number;
  /** The most recent disagreements. */
  readonly samples: readonly {
    readonly live: PredictionValue;
    readonly shadow: PredictionValue;
    readonly at: string;
  }[];
  readonly lastError?: string;
}

function same(a: PredictionValue, b: PredictionValue): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null)
    return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

interface MutableReport {
  version: string;
  rows: number;
  disagreements: number;
  errors: number;
  skipped: number;
  samples: { live: PredictionValue; shadow: PredictionValue; at: string }[];
  lastError?: string;
}

/** A worker thread holding one shadow version's model. */
class ShadowWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (p: PredictionValue[]) => void; reject: (e: Error) => void }
  >();
  readonly ready: Promise<void>;
  #next = 0;

  constructor(path: string, runtime: string) {
    const here = import.meta.url;
    this.#worker = new Worker(
      new URL(here.endsWith(".ts") ? "./shadow-worker.ts" : "./shadow-worker.js", here),
      {
        workerData: { path, runtime },
      },
    );
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) =>
      this.#pending.set(-1, { resolve: () => resolve(), reject }),
    );
    this.#worker.on(
      "message",
      (m: { id: number; ok: boolean; predictions?: PredictionValue[]; error?: string }) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.ok) p?.resolve(m.predictions ?? []);
        else p?.reject(new Error(m.error));
      },
    );
    const fail = (e: Error) => {
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", () => fail(new Error("the shadow worker exited")));
  }

  predict(table: FeatureTable): Promise<PredictionValue[]> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, table });
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

/** Runs and scores shadow traffic per model name. */
export class ShadowTracker {
  readonly #reports = new Map<string, MutableReport>();
  readonly #registry: ModelRegistry;
  readonly #queue: {
    name: string;
    version: string;
    table: FeatureTable;
    live: readonly PredictionValue[];
  }[] = [];
  #scheduled = false;
  /** Worker per shadow version loaded from a file (`name@version`), or null when it must run inline. */
  readonly #workers = new Map<string, ShadowWorker | null>();
  /** Shadow calls not yet finished (tests wait on them). */
  pending = 0;

  constructor(registry: ModelRegistry) {
    this.#registry = registry;
    // A worker lives as long as its version is a shadow.
    registry.onChange(() => {
      for (const [key, w] of this.#workers) {
        const at = key.lastIndexOf("@");
        if (
          registry.shadow(key.slice(0, at)) === key.slice(at + 1) &&
          registry.get(key.slice(0, at), key.slice(at + 1))
        )
          continue;
        this.#workers.delete(key);
        void w?.close();
      }
    });
  }

  /** The report of a name, if it has (or had) a shadow. */
  report(name: string): ShadowReport | undefined {
    return this.#reports.get(name);
  }

  /**
   * Queues a shadow call. It runs only while no live request is in flight, so it never delays or
   * changes an answer; when the queue is full (sustained saturation) the oldest call is skipped and
   * counted.
   */
  mirror(live: ReadyVersion, table: FeatureTable, livePredictions: readonly PredictionValue[]): void {
    const shadowVersion = this.#registry.shadow(live.name);
    if (shadowVersion === undefined || shadowVersion === live.version) return;
    if (this.#queue.length >= MAX_QUEUE) {
      const dropped = this.#queue.shift()!;
      this.#report(dropped.name, dropped.version).skipped++;
      this.pending--;
    }
    this.#queue.push({ name: live.name, version: shadowVersion, table, live: livePredictions });
    this.pending++;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Live requests first: come back once the server is idle.
    if (this.#registry.totalInflight > 0) {
      setTimeout(() => this.#schedule(), 1).unref();
      return;
    }
    const task = this.#queue.shift();
    if (!task) return;
    try {
      await this.#run(task.name, task.version, task.table, task.live);
    } finally {
      this.pending--;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  /** Scores a batch with the shadow version: in its worker thread when it came from a file, else inline. */
  async #predict(v: ReadyVersion, table: FeatureTable): Promise<PredictionValue[]> {
    const key = `${v.name}@${v.version}`;
    let w = this.#workers.get(key);
    if (w === undefined) {
      const path = v.model.info.path;
      w = null;
      if (path && v.model.info.runtime !== "typescript") {
        const candidate = new ShadowWorker(path, v.model.info.runtime);
        try {
          await candidate.ready;
          w = candidate;
        } catch {
          await candidate.close();
        }
      }
      this.#workers.set(key, w);
    }
    if (w) return w.predict(table);
    this.#registry.enter(v);
    try {
      return predictionValues(await v.model.predict(table), table.rows);
    } finally {
      this.#registry.leave(v);
    }
  }

  /** Stops the shadow workers. */
  async close(): Promise<void> {
    const workers = [...this.#workers.values()].filter((w): w is ShadowWorker => w !== null);
    this.#workers.clear();
    await Promise.all(workers.map((w) => w.close()));
  }

  #report(name: string, version: string): MutableReport {
    let r = this.#reports.get(name);
    if (!r || r.version !== version) {
      r = { version, rows: 0, disagreements: 0, errors: 0, skipped: 0, samples: [] };
      this.#reports.set(name, r);
    }
    return r;
  }

  async #run(
    name: string,
    version: string,
    table: FeatureTable,
    live: readonly PredictionValue[],
  ): Promise<void> {
    const r = this.#report(name, version);
    try {
      const v = this.#registry.resolve(name, version);
      const preds = await this.#predict(v, table);
      for (let i = 0; i < live.length; i++) {
        r.rows++;
        if (!same(live[i], preds[i])) {
          r.disagreements++;
          r.samples.push({ live: live[i], shadow: preds[i], at: new Date().toISOString() });
          if (r.samples.length > MAX_SAMPLES) r.samples.shift();
        }
      }
    } catch (err) {
      r.errors++;
      r.lastError = err instanceof Error ? err.message : String(err);
    }
  }
}
