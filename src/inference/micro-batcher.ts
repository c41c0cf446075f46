/**
 * @module Adaptive micro-batching and the bounded queue in front of each model. Concurrent requests
 * for the same version and method wait in a lane; the lane runs them as one model call (their tables
 * joined, up to `maxRows` rows) and cuts the answer back so each request gets exactly its own rows.
 * A lane never runs two batches at once: while one runs, arrivals queue, so the batch size grows with
 * the load by itself. A batch that fails is re-run request by request, so a request whose rows make the
 * model throw fails alone. In `auto` mode each version decides from the time of its own first model
 * calls whether batching pays (`batching-policy.ts`).
 */

import { performance } from "node:perf_hooks";
import { Errors } from "../errors.ts";
import type { FeatureTable } from "../runtimes/runtime.ts";
import { AutoPolicy, type Calibration, crowdOnly, type PolicyTuning } from "./batching-policy.ts";
import { CrowdMeter } from "./crowd-meter.ts";
import { type InferenceResult, infer, type Method } from "./run.ts";
import { canJoin, joinTables, splitResult } from "./tables.ts";
import type { ReadyVersion } from "./version.ts";

/** Whether requests are coalesced: never, always, or when calibration shows it pays. */
export type BatchingMode = "off" | "on" | "auto";

/** How a {@link MicroBatcher} batches and bounds its queues. */
export interface BatchingOptions {
  readonly mode: BatchingMode;
  /** Most rows in one model call (a larger request runs alone). */
  readonly maxRows: number;
  /**
   * Longest a request waits for others to join its batch, in microseconds, once the lane has run
   * batches of four requests or more (an idle lane runs a lone request at the next turn of the loop).
   */
  readonly maxWaitUs: number;
  /** Most requests per model version waiting for the model; more → `MS_OVERLOADED` (0: no limit). */
  readonly maxQueued: number;
}

export type { Calibration } from "./batching-policy.ts";

/** The batcher's settings and its `auto` decisions, as `/stats` shows them. */
export interface BatchingSummary extends BatchingOptions {
  /** Models with settings of their own (a model entry's), each with all four as they apply to it. */
  readonly models?: readonly ({ readonly model: string } & BatchingOptions)[];
  readonly calibrated: readonly ({
    readonly model: string;
    readonly version: string;
    /** A version batched only when crowded: whether its requests arrive crowded now (then they are batched). */
    readonly crowded?: boolean;
    /** A version batched only when crowded: the moving average of its requests per turn of the event loop. */
    readonly requestsPerTurn?: number;
    /** With `--workers`: the worker process that decided (each decides from its own calls). */
    readonly worker?: number;
  } & Calibration)[];
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
  /** How crowded its requests arrive (`auto` mode batches a cheap version only when crowded). */
  readonly crowd: CrowdMeter;
}

interface Lane {
  readonly v: ReadyVersion;
  readonly method: Method;
  /** The settings of the lane's model. */
  readonly options: BatchingOptions;
  readonly counts: ModelCounts;
  readonly queue: Member[];
  rows: number;
  running: boolean;
  /** A tick is pending: at the next turn of the loop, or (with {@link Lane.wait}) at the wait's end. */
  scheduled: boolean;
  /** The timer ending a wait for company, while the lane waits. */
  wait?: NodeJS.Timeout;
  /**
   * Requests in the last batch (more when others queued behind it): waiting for company is worth it
   * only after a batch of several ({@link WAIT_FROM}), and only until as many have come.
   */
  expected: number;
}

/**
 * Waiting for company starts to pay from batches of this many requests: with two or three clients,
 * holding the first for the others only makes each wait for the slowest.
 */
const WAIT_FROM = 4;

/** The queue waits of a request run alone. */
const NO_WAIT: readonly number[] = [0];

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
  #policy: AutoPolicy | undefined;
  readonly #tuning: Partial<PolicyTuning> | undefined;
  /** Settings of models that have their own (by model name), each merged over {@link options}. */
  readonly #own = new Map<string, BatchingOptions>();

  /**
   * `tuning` moves `auto` mode's line between cheap and costly versions and shortens its warm-up
   * (tests, where timings depend on the machine's load).
   */
  constructor(options: BatchingOptions, observer?: BatchObserver, tuning?: Partial<PolicyTuning>) {
    this.options = options;
    this.#observer = observer;
    this.#tuning = tuning;
    if (options.mode === "auto") this.#autoPolicy();
  }

  /**
   * Gives model `name` (every version of it, loaded now or later) settings of its own, each overriding
   * the batcher's (a model entry's `microBatching`, `microBatchMaxRows`, `microBatchMaxWaitUs`, `maxQueued`).
   */
  configure(name: string, own: Partial<BatchingOptions>): void {
    const merged = { ...this.options };
    for (const [k, v] of Object.entries(own)) if (v !== undefined) Object.assign(merged, { [k]: v });
    this.#own.set(name, merged);
    if (merged.mode === "auto") this.#autoPolicy();
  }

  /** The settings that apply to `v`'s model. */
  optionsOf(v: ReadyVersion): BatchingOptions {
    return this.#own.get(v.name) ?? this.options;
  }

  #autoPolicy(): void {
    this.#policy ??= new AutoPolicy(
      (v, c) => {
        this.#countsOf(v).calibration = c;
      },
      Date.now,
      this.#tuning,
    );
  }

  /** `auto`'s policy, for a version whose model is in `auto` mode. */
  #policyOf(v: ReadyVersion, options = this.optionsOf(v)): AutoPolicy | undefined {
    return options.mode === "auto" ? this.#policy : undefined;
  }

  /** Runs `method` on `table` for `v`, batched with concurrent requests when batching is on. */
  infer(v: ReadyVersion, table: FeatureTable, method: Method): Promise<InferenceResult> {
    const counts = this.#countsOf(v);
    const options = this.optionsOf(v);
    const max = options.maxQueued;
    if (max > 0 && counts.queued >= max) return Promise.reject(Errors.overloaded(max, v.name));
    const policy = this.#policyOf(v, options);
    if (policy) counts.crowd.arrive();
    if (!this.#batching(v, table, counts, options, policy))
      // A request as large as a batch runs alone whatever the mode: it says nothing of small ones.
      return this.#alone(v, table, method, counts, table.rows < options.maxRows ? policy : undefined);
    return new Promise<InferenceResult>((resolve, reject) => {
      const lane = this.#laneOf(v, method, counts, options);
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
    for (const c of this.#counts.values()) {
      if (!c.calibration) continue;
      // A version batched only while crowded: say whether it is now, and how crowded.
      const crowd = crowdOnly(c.calibration)
        ? { crowded: c.crowd.crowded, requestsPerTurn: Math.round(c.crowd.average * 10) / 10 }
        : {};
      calibrated.push({ model: c.model, version: c.version, ...c.calibration, ...crowd });
    }
    const models = [...this.#own].map(([model, o]) => ({ model, ...o }));
    return { ...this.options, ...(models.length > 0 ? { models } : {}), calibrated };
  }

  /** What `auto` mode measured for a version, once it has decided. */
  calibration(v: ReadyVersion): Calibration | undefined {
    return this.#policy?.calibration(v);
  }

  #countsOf(v: ReadyVersion): ModelCounts {
    const key = `${v.name}\u0000${v.version}`;
    let c = this.#counts.get(key);
    if (c === undefined) {
      c = { model: v.name, version: v.version, queued: 0, inflight: 0, crowd: new CrowdMeter() };
      this.#counts.set(key, c);
    }
    return c;
  }

  #laneOf(v: ReadyVersion, method: Method, counts: ModelCounts, options: BatchingOptions): Lane {
    let byMethod = this.#lanes.get(v);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#lanes.set(v, byMethod);
    }
    let lane = byMethod.get(method);
    if (lane === undefined) {
      lane = {
        v,
        method,
        options,
        counts,
        queue: [],
        rows: 0,
        running: false,
        scheduled: false,
        expected: 1,
      };
      byMethod.set(method, lane);
    }
    return lane;
  }

  /** Whether this request goes through a lane. */
  #batching(
    v: ReadyVersion,
    table: FeatureTable,
    counts: ModelCounts,
    { mode, maxRows }: BatchingOptions,
    policy: AutoPolicy | undefined,
  ): boolean {
    if (mode === "off" || table.rows >= maxRows) return false;
    if (policy === undefined) return true;
    // Cheap, or joining saves nothing: batched while its requests arrive crowded (crowd-meter.ts),
    // never waiting.
    if (policy.crowdOnly(v)) return counts.crowd.crowded;
    return policy.batching(v);
  }

  /** One request's own call, outside any lane (still counted for the gauges). */
  async #alone(
    v: ReadyVersion,
    table: FeatureTable,
    method: Method,
    counts: ModelCounts,
    /** The policy that times this call, if any. */
    policy: AutoPolicy | undefined,
  ) {
    counts.inflight++;
    this.#observer?.batch(v.name, v.version, table.rows, NO_WAIT);
    try {
      const result = await infer(v, table, method);
      policy?.observe(v, table.rows, result.inferenceMs, false);
      return result;
    } finally {
      counts.inflight--;
    }
  }

  #schedule(lane: Lane): void {
    if (lane.running) return; // the running batch takes the queue when it ends
    if (lane.rows >= lane.options.maxRows) {
      this.#flush(lane);
      return;
    }
    if (lane.wait !== undefined) {
      // Waiting for company: the batch starts once the company it waits for has come, or once a
      // request comes after the wait's end (the timer may fire later than that, below).
      if (lane.queue.length >= lane.expected || performance.now() >= this.#deadline(lane)) {
        clearTimeout(lane.wait);
        lane.wait = undefined;
        setImmediate(() => this.#tick(lane));
      }
      return;
    }
    if (lane.scheduled) return;
    lane.scheduled = true;
    // At the next turn of the loop: every request parsed in this turn joins first.
    setImmediate(() => this.#tick(lane));
  }

  /** When the oldest request of the lane stops waiting for company. */
  #deadline(lane: Lane): number {
    return lane.queue[0]!.at + lane.options.maxWaitUs / 1000;
  }

  #tick(lane: Lane): void {
    lane.scheduled = false;
    lane.wait = undefined;
    if (lane.running || lane.queue.length === 0) return;
    const left = this.#deadline(lane) - performance.now();
    if (
      left > 0 &&
      lane.expected >= WAIT_FROM &&
      this.#policyOf(lane.v, lane.options)?.crowdOnly(lane.v) !== true &&
      lane.queue.length < lane.expected &&
      lane.rows < lane.options.maxRows
    ) {
      lane.scheduled = true;
      // The loop sleeps until requests come (each arrival checks, in #schedule, whether the wait is
      // over) or the timer fires. Timers have millisecond resolution, so a wait shorter than that ends
      // with the next request after it, or within a millisecond when none comes. Waiting by turns of
      // the loop instead (setImmediate) burnt the CPU the clients and other workers share: 23–37
      // turns per batch for each of two workers under load.
      lane.wait = setTimeout(() => this.#tick(lane), Math.max(1, Math.ceil(left)));
      return;
    }
    this.#flush(lane);
  }

  /** Takes the head of the queue (up to `maxRows` joinable rows) and runs it as one call. */
  #flush(lane: Lane): void {
    if (lane.wait !== undefined) {
      // Full before its wait ended (#schedule): the pending tick is not needed.
      clearTimeout(lane.wait);
      lane.wait = undefined;
      lane.scheduled = false;
    }
    const { queue } = lane;
    const first = queue[0]!;
    let n = 1;
    let rows = first.table.rows;
    while (n < queue.length) {
      const next = queue[n]!.table;
      if (rows + next.rows > lane.options.maxRows || !canJoin(first.table, next)) break;
      rows += next.rows;
      n++;
    }
    const members = queue.splice(0, n);
    lane.rows -= rows;
    lane.running = true;
    lane.expected = n + queue.length;
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
    const policy = this.#policyOf(v, lane.options);
    if (members.length === 1) {
      const m = members[0]!;
      await infer(v, m.table, method).then((r) => {
        policy?.observe(v, m.table.rows, r.inferenceMs, false);
        m.resolve(r);
      }, m.reject);
      return;
    }
    let parts: InferenceResult[];
    try {
      const table = joinTables(members.map((m) => m.table));
      const result = await infer(v, table, method);
      policy?.observe(v, table.rows, result.inferenceMs, true);
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
}
