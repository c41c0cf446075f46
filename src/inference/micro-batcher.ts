/**
 * @module Adaptive micro-batching and the bounded queue in front of each model. Concurrent requests
 * for the same version and method wait in a lane; the lane runs them as one model call (their tables
 * joined, up to `maxRows` rows) and cuts the answer back so each request gets exactly its own rows.
 * A lane never runs two batches at once: while one runs, arrivals queue, so the batch size grows with
 * the load by itself. A batch that fails is re-run request by request, so a request whose rows make the
 * model throw fails alone. In `auto` mode a version is calibrated on its first rows (one call per row
 * against one call for all of them) and batched only when that pays.
 */

import { performance } from "node:perf_hooks";
import { Errors } from "../errors.ts";
import type { FeatureTable } from "../runtimes/runtime.ts";
import { type InferenceResult, infer, type Method } from "./run.ts";
import { canJoin, joinTables, sliceTable, splitResult } from "./tables.ts";
import type { ReadyVersion } from "./version.ts";

/** Whether requests are coalesced: never, always, or when calibration shows it pays. */
export type BatchingMode = "off" | "on" | "auto";

/** How a {@link MicroBatcher} batches and bounds its queues. */
export interface BatchingOptions {
  readonly mode: BatchingMode;
  /** Most rows in one model call (a larger request runs alone). */
  readonly maxRows: number;
  /**
   * Longest a request waits for others to join its batch, in microseconds, once the lane has seen
   * concurrent requests (an idle lane runs a lone request at the next turn of the event loop).
   */
  readonly maxWaitUs: number;
  /** Most requests per model version waiting for the model; more → `MS_OVERLOADED` (0: no limit). */
  readonly maxQueued: number;
}

/** What calibration measured for a version in `auto` mode. */
export interface Calibration {
  /** Rows per group timed. */
  readonly rows: number;
  /** Model time of one call per row of a group, summed, in microseconds (fastest group). */
  readonly separateUs: number;
  /** Model time of one call with a group's rows, in microseconds (fastest group). */
  readonly batchedUs: number;
  /** Whether batching is on for this version. */
  readonly batching: boolean;
}

/** The batcher's settings and its `auto` decisions, as `/stats` shows them. */
export interface BatchingSummary extends BatchingOptions {
  readonly calibrated: readonly ({ readonly model: string; readonly version: string } & Calibration)[];
}

/** The live state of one model version, for gauges. */
export interface QueueState {
  readonly model: string;
  readonly version: string;
  /** Requests admitted and waiting for the model. */
  readonly queued: number;
  /** Requests whose model call is running. */
  readonly inflight: number;
}

/** Receives one observation per model call the batcher makes. */
export interface BatchObserver {
  /** `rows` rows from `requests` requests ran as one call; `waits` are each request's queue wait in s. */
  batch(model: string, version: string, rows: number, waits: readonly number[]): void;
}

interface Member {
  readonly table: FeatureTable;
  readonly at: number;
  readonly resolve: (r: InferenceResult) => void;
  readonly reject: (e: unknown) => void;
}

/** Counts of one model version (by name and label, so the series survive a reload). */
interface ModelCounts {
  readonly model: string;
  readonly version: string;
  /** Admitted to a lane's queue, not yet in a model call. */
  queued: number;
  /** In a model call. */
  inflight: number;
  /** What `auto` mode measured for the newest version object with this name and label. */
  calibration?: Calibration;
}

interface Lane {
  readonly v: ReadyVersion;
  readonly method: Method;
  readonly counts: ModelCounts;
  readonly queue: Member[];
  rows: number;
  running: boolean;
  scheduled: boolean;
  /** Whether the last batch held more than one request: only then is waiting for company worth it. */
  busy: boolean;
}

// Calibration: rows gathered from the first requests, time budget, and the bar batching must pass.
const CALIBRATION_ROWS = 64;
const CALIBRATION_GROUP = 16;
const CALIBRATION_BUDGET_MS = 100;
const WARM_UP_ROUNDS = 8;
/** Batching is on when one call for all rows costs at most this share of one call per row… */
const PAYING_RATIO = 0.8;
/**
 * …and saves at least this many microseconds of model time per row: below that, a request's own
 * cost (parsing, validation, the answer: tens of microseconds) dwarfs the saving.
 */
const PAYING_SAVING_US = 5;

type Decision =
  | { readonly state: "gathering"; readonly rows: FeatureTable[] }
  | { readonly state: "deciding" }
  | { readonly state: "decided"; readonly calibration: Calibration };

/**
 * The micro-batcher of one app. {@link MicroBatcher.infer} stands in for {@link infer}: same
 * arguments, same answer, same errors, plus `MS_OVERLOADED` when the version's queue is full.
 *
 * @example
 * const batcher = new MicroBatcher({ mode: "on", maxRows: 64, maxWaitUs: 500, maxQueued: 1000 });
 * const result = await batcher.infer(version, table, "predict");
 */
export class MicroBatcher {
  readonly options: BatchingOptions;
  readonly #observer: BatchObserver | undefined;
  readonly #counts = new Map<string, ModelCounts>();
  // Weak: a lane lives as long as its version (it remembers whether its traffic was concurrent).
  readonly #lanes = new WeakMap<ReadyVersion, Map<Method, Lane>>();
  readonly #decisions = new WeakMap<ReadyVersion, Decision>();

  constructor(options: BatchingOptions, observer?: BatchObserver) {
    this.options = options;
    this.#observer = observer;
  }

  /** Runs `method` on `table` for `v`, batched with concurrent requests when batching is on. */
  infer(v: ReadyVersion, table: FeatureTable, method: Method): Promise<InferenceResult> {
    const counts = this.#countsOf(v);
    const max = this.options.maxQueued;
    if (max > 0 && counts.queued >= max) return Promise.reject(Errors.overloaded(max, v.name));
    if (!this.#batching(v, table, method)) return this.#alone(v, table, method, counts);
    return new Promise<InferenceResult>((resolve, reject) => {
      const lane = this.#laneOf(v, method, counts);
      lane.queue.push({ table, at: performance.now(), resolve, reject });
      lane.rows += table.rows;
      counts.queued++;
      this.#schedule(lane);
    });
  }

  /** The queue and in-flight counts of every version served so far. */
  states(): QueueState[] {
    return [...this.#counts.values()].map((c) => ({
      model: c.model,
      version: c.version,
      queued: c.queued,
      inflight: c.inflight,
    }));
  }

  /** The settings and, per version calibrated in `auto` mode, what was measured (for `/stats`). */
  summary(): BatchingSummary {
    const calibrated = [];
    for (const c of this.#counts.values())
      if (c.calibration) calibrated.push({ model: c.model, version: c.version, ...c.calibration });
    return { ...this.options, calibrated };
  }

  /** What `auto` mode measured for a version, once it has decided. */
  calibration(v: ReadyVersion): Calibration | undefined {
    const d = this.#decisions.get(v);
    return d?.state === "decided" ? d.calibration : undefined;
  }

  #countsOf(v: ReadyVersion): ModelCounts {
    const key = `${v.name}\u0000${v.version}`;
    let c = this.#counts.get(key);
    if (c === undefined) {
      c = { model: v.name, version: v.version, queued: 0, inflight: 0 };
      this.#counts.set(key, c);
    }
    return c;
  }

  #laneOf(v: ReadyVersion, method: Method, counts: ModelCounts): Lane {
    let byMethod = this.#lanes.get(v);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#lanes.set(v, byMethod);
    }
    let lane = byMethod.get(method);
    if (lane === undefined) {
      lane = { v, method, counts, queue: [], rows: 0, running: false, scheduled: false, busy: false };
      byMethod.set(method, lane);
    }
    return lane;
  }

  /** Whether this request goes through a lane. */
  #batching(v: ReadyVersion, table: FeatureTable, method: Method): boolean {
    const { mode, maxRows } = this.options;
    if (mode === "off" || table.rows >= maxRows) return false;
    if (mode === "on") return true;
    const d = this.#decisions.get(v);
    if (d?.state === "decided") return d.calibration.batching;
    if (d?.state !== "deciding") this.#gather(v, table, method, d);
    return false;
  }

  /** One request's own call, outside any lane (still counted for the gauges). */
  async #alone(v: ReadyVersion, table: FeatureTable, method: Method, counts: ModelCounts) {
    counts.inflight++;
    this.#observer?.batch(v.name, v.version, table.rows, [0]);
    try {
      return await infer(v, table, method);
    } finally {
      counts.inflight--;
    }
  }

  #schedule(lane: Lane): void {
    if (lane.running) return; // the running batch takes the queue when it ends
    if (lane.rows >= this.options.maxRows) {
      this.#flush(lane);
      return;
    }
    if (lane.scheduled) return;
    lane.scheduled = true;
    // At the next turn of the loop: every request parsed in this turn joins first.
    setImmediate(() => this.#tick(lane));
  }

  #tick(lane: Lane): void {
    lane.scheduled = false;
    if (lane.running || lane.queue.length === 0) return;
    const deadline = lane.queue[0]!.at + this.options.maxWaitUs / 1000;
    const left = deadline - performance.now();
    if (lane.busy && left > 0 && lane.rows < this.options.maxRows) {
      lane.scheduled = true;
      // Timers have millisecond resolution: shorter waits spin on turns of the loop, which still
      // reads sockets between turns.
      if (left >= 1) setTimeout(() => this.#tick(lane), Math.floor(left));
      else setImmediate(() => this.#tick(lane));
      return;
    }
    this.#flush(lane);
  }

  /** Takes the head of the queue (up to `maxRows` joinable rows) and runs it as one call. */
  #flush(lane: Lane): void {
    const { queue } = lane;
    const first = queue[0]!;
    let n = 1;
    let rows = first.table.rows;
    while (n < queue.length) {
      const next = queue[n]!.table;
      if (rows + next.rows > this.options.maxRows || !canJoin(first.table, next)) break;
      rows += next.rows;
      n++;
    }
    const members = queue.splice(0, n);
    lane.rows -= rows;
    lane.running = true;
    lane.busy = n > 1 || queue.length > 0;
    lane.counts.queued -= n;
    lane.counts.inflight += n;
    const now = performance.now();
    this.#observer?.batch(
      lane.v.name,
      lane.v.version,
      rows,
      members.map((m) => (now - m.at) / 1000),
    );
    void this.#run(lane, members).finally(() => {
      lane.counts.inflight -= n;
      lane.running = false;
      // These requests waited through a whole batch already: run them now.
      if (queue.length > 0) this.#flush(lane);
    });
  }

  /** Settles every member exactly once; a failed batch is retried member by member. */
  async #run(lane: Lane, members: Member[]): Promise<void> {
    const { v, method } = lane;
    if (members.length === 1) {
      const m = members[0]!;
      await infer(v, m.table, method).then(m.resolve, m.reject);
      return;
    }
    let parts: InferenceResult[];
    try {
      const result = await infer(v, joinTables(members.map((m) => m.table)), method);
      parts = splitResult(
        result,
        members.map((m) => m.table.rows),
      );
    } catch {
      // One request's rows may be what the model rejects: each request alone gets its own answer.
      for (const m of members) await infer(v, m.table, method).then(m.resolve, m.reject);
      return;
    }
    for (let i = 0; i < members.length; i++) members[i]!.resolve(parts[i]!);
  }

  /** Collects the first rows a version sees in `auto` mode, then calibrates on them once. */
  #gather(v: ReadyVersion, table: FeatureTable, method: Method, d: Decision | undefined): void {
    let rows: FeatureTable[];
    if (d?.state === "gathering") rows = d.rows;
    else {
      rows = [];
      this.#decisions.set(v, { state: "gathering", rows });
    }
    for (let r = 0; r < table.rows && rows.length < CALIBRATION_ROWS; r++) {
      if (rows.length > 0 && !canJoin(rows[0]!, table)) return;
      rows.push(sliceTable(table, r, r + 1));
    }
    if (rows.length < CALIBRATION_ROWS) return;
    this.#decisions.set(v, { state: "deciding" });
    const decided = (calibration: Calibration) => {
      this.#decisions.set(v, { state: "decided", calibration });
      this.#countsOf(v).calibration = calibration;
    };
    // After the current request has its answer.
    setImmediate(() => {
      this.#calibrate(v, rows, method).then(decided, () =>
        decided({ rows: 0, separateUs: 0, batchedUs: 0, batching: false }),
      );
    });
  }

  /**
   * Times one call per row against one call per group of rows, on groups of distinct rows (a row
   * walked again and again would be cheaper than real traffic: the CPU learns its branches). The
   * passes alternate their order from group to group, and each path keeps its fastest group.
   */
  async #calibrate(v: ReadyVersion, rows: FeatureTable[], method: Method): Promise<Calibration> {
    const groups: FeatureTable[][] = [];
    for (let g = 0; g < rows.length; g += CALIBRATION_GROUP)
      groups.push(rows.slice(g, g + CALIBRATION_GROUP));
    const separate: number[] = [];
    const batched: number[] = [];
    const timeSeparate = async (group: FeatureTable[]) => {
      const t = performance.now();
      for (const r of group) await infer(v, r, method);
      return performance.now() - t;
    };
    const timeBatched = async (group: FeatureTable[]) => {
      const all = joinTables(group);
      const t = performance.now();
      await infer(v, all, method);
      return performance.now() - t;
    };
    // Untimed passes first: the batch path has not run yet, so its code is not optimised, and the
    // one-row path has run only as often as requests came.
    const warm = performance.now();
    for (let i = 0; i < WARM_UP_ROUNDS && performance.now() - warm < CALIBRATION_BUDGET_MS / 2; i++) {
      await timeBatched(groups[i % groups.length]!);
      await timeSeparate(groups[i % groups.length]!);
    }
    const started = performance.now();
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!;
      if (g % 2 === 0) {
        separate.push(await timeSeparate(group));
        batched.push(await timeBatched(group));
      } else {
        batched.push(await timeBatched(group));
        separate.push(await timeSeparate(group));
      }
      if (performance.now() - started > CALIBRATION_BUDGET_MS) break;
    }
    // The fastest group of each: noise (other processes, the collector) only ever adds time.
    const fastest = (xs: number[]) => Math.min(...xs);
    const separateUs = fastest(separate) * 1000;
    const batchedUs = fastest(batched) * 1000;
    const per = groups[0]!.length;
    const batching =
      batchedUs <= PAYING_RATIO * separateUs && (separateUs - batchedUs) / per >= PAYING_SAVING_US;
    return { rows: per, separateUs, batchedUs, batching };
  }
}
