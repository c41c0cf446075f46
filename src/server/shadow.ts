/**
 * @module Shadow traffic: a candidate version gets a copy of live requests after the answer has gone
 * out, and its predictions are compared with what the live version answered. Bounded memory: counters
 * plus the last few disagreements.
 */

import { type PredictionValue, predictionValues } from "../inference/run.ts";
import type { ModelRegistry, ReadyVersion } from "../registry/model-registry.ts";
import type { FeatureTable } from "../runtimes/runtime.ts";

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
  /** Shadow calls not yet finished (tests wait on them). */
  pending = 0;

  constructor(registry: ModelRegistry) {
    this.#registry = registry;
  }

  /** Every name's report. */
  reports(): IterableIterator<[string, ShadowReport]> {
    return this.#reports.entries();
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
      this.#registry.enter(v);
      try {
        // Predictions only: the comparison needs no probabilities.
        const preds = predictionValues(await v.model.predict(table), table.rows);
        for (let i = 0; i < live.length; i++) {
          r.rows++;
          if (!same(live[i], preds[i])) {
            r.disagreements++;
            r.samples.push({ live: live[i], shadow: preds[i], at: new Date().toISOString() });
            if (r.samples.length > MAX_SAMPLES) r.samples.shift();
          }
        }
      } finally {
        this.#registry.leave(v);
      }
    } catch (err) {
      r.errors++;
      r.lastError = err instanceof Error ? err.message : String(err);
    }
  }
}
