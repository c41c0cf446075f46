/**
 * @module The `auto` micro-batching decision of each model version, from the model time of its own
 * first calls on live rows (no extra model call is made). A version starts unbatched; the median time
 * of its first single-row calls says whether it is cheap (then there is no trial: a cheap version's
 * model time gains little from a batch, and the micro-batcher batches it only while its requests arrive
 * crowded, `crowd-meter.ts`, without waiting for company). A
 * costlier version then runs a trial with batching on, and keeps it if a row costs clearly less inside
 * a batch than alone (per-call overhead shared, trees walked in lock step, one onnxruntime call for many
 * rows), or turns it off if two trials in a row show that batches only add coordination. Every
 * decision is measured again after five minutes.
 */

import type { ReadyVersion } from "./version.ts";

/** What `auto` mode measured for a version, once it has decided. */
export interface Calibration {
  /** Median model time of a single-row call, in microseconds, over the first single-row calls. */
  readonly singleUs: number;
  /** Model time per row inside batches of two rows or more, in microseconds (after a trial). */
  readonly batchedRowUs?: number;
  /** Whether batching is on for this version (a cheap one: off, but batched while its requests crowd). */
  readonly batching: boolean;
  /** `cheap`: the model call is too cheap to batch; `pays` / `does-not-pay`: what the trial showed. */
  readonly reason: "cheap" | "pays" | "does-not-pay";
}

/** Single-row calls timed before deciding whether a version is cheap (after {@link WARM_UP_CALLS}). */
export const SINGLE_CALLS = 64;
/** Batched calls (two rows or more) timed in the trial (after {@link WARM_UP_CALLS}). */
export const TRIAL_CALLS = 96;
/**
 * Calls of each kind left out before timing: a code path's first calls run before the JIT has
 * optimised it (the batch path of a tree walk is several times slower in its first dozen calls).
 */
export const WARM_UP_CALLS = 16;
/** A single-row call below this many microseconds is cheap: batching stays off. */
export const CHEAP_US = 10;
/**
 * How long a decision stands before the version is measured again (its traffic, its neighbours on the
 * CPU and the JIT's state all change), in ms.
 */
export const REVISIT_MS = 5 * 60_000;
/** Trials in a row that must fail before batching is turned off. */
export const TRIALS = 2;
/** Batching stays on when a row in a batch costs at most this share of a row alone. */
export const PAYING_RATIO = 0.8;

type State =
  | { readonly phase: "single"; seen: number; readonly times: number[] }
  | {
      readonly phase: "trial";
      readonly singleUs: number;
      /** 1 for the first trial, 2 for the second one a failed first trial gets. */
      readonly attempt: number;
      seen: number;
      ms: number;
      rows: number;
      calls: number;
    }
  | { readonly phase: "decided"; readonly calibration: Calibration; readonly at: number };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * The decisions of `auto` mode, one per version object (a reloaded version decides again).
 *
 * @example
 * const policy = new AutoPolicy();
 * if (policy.batching(v)) … else …;
 * policy.observe(v, rows, result.inferenceMs);
 */
export class AutoPolicy {
  readonly #states = new WeakMap<ReadyVersion, State>();
  readonly #decided: (v: ReadyVersion, c: Calibration) => void;
  readonly #now: () => number;
  /** Below this single-row time (µs) a version is cheap ({@link CHEAP_US} unless a test says otherwise). */
  readonly #cheapUs: number;

  /**
   * `decided` is told each time a version decides; `now` (ms) is the clock that makes a decision
   * expire after {@link REVISIT_MS}; `cheapUs` the single-row time below which a version is cheap.
   */
  constructor(
    decided: (v: ReadyVersion, c: Calibration) => void = () => undefined,
    now = Date.now,
    cheapUs = CHEAP_US,
  ) {
    this.#decided = decided;
    this.#now = now;
    this.#cheapUs = cheapUs;
  }

  /** Whether requests for `v` go through a batching lane now. */
  batching(v: ReadyVersion): boolean {
    const s = this.#states.get(v);
    if (s === undefined || s.phase === "single") return false;
    return s.phase === "trial" || s.calibration.batching;
  }

  /** Whether `v` was found cheap: batched only while its requests arrive crowded, without waiting. */
  cheap(v: ReadyVersion): boolean {
    const s = this.#states.get(v);
    return s?.phase === "decided" && s.calibration.reason === "cheap";
  }

  /** Records one model call of `rows` rows that took `ms` milliseconds of model time. */
  observe(v: ReadyVersion, rows: number, ms: number): void {
    let s = this.#states.get(v);
    if (s === undefined) {
      s = { phase: "single", seen: 0, times: [] };
      this.#states.set(v, s);
    }
    if (s.phase === "decided") {
      // Decisions expire: one taken while a neighbour was hogging the CPU must not stand for good.
      if (this.#now() - s.at < REVISIT_MS) return;
      s = { phase: "single", seen: 0, times: [] };
      this.#states.set(v, s);
    }
    if (s.phase === "single") {
      if (rows !== 1 || ++s.seen <= WARM_UP_CALLS) return;
      s.times.push(ms * 1000);
      if (s.times.length < SINGLE_CALLS) return;
      const singleUs = median(s.times);
      if (singleUs < this.#cheapUs) this.#decide(v, { singleUs, batching: false, reason: "cheap" });
      else this.#states.set(v, { phase: "trial", singleUs, attempt: 1, seen: 0, ms: 0, rows: 0, calls: 0 });
      return;
    }
    if (rows < 2 || ++s.seen <= WARM_UP_CALLS) return;
    // Summed, not a median per call: large batches, where batching matters, weigh more.
    s.ms += ms;
    s.rows += rows;
    if (++s.calls < TRIAL_CALLS) return;
    const batchedRowUs = (s.ms * 1000) / s.rows;
    const pays = batchedRowUs <= PAYING_RATIO * s.singleUs;
    if (!pays && s.attempt < TRIALS) {
      // A trial can fall on a bad moment (another process on the CPU, the collector, a recompile):
      // turning batching off takes two failed trials in a row.
      this.#states.set(v, { ...s, attempt: s.attempt + 1, seen: 0, ms: 0, rows: 0, calls: 0 });
      return;
    }
    this.#decide(v, {
      singleUs: s.singleUs,
      batchedRowUs,
      batching: pays,
      reason: pays ? "pays" : "does-not-pay",
    });
  }

  /** The current decision for `v`, once there is one. */
  calibration(v: ReadyVersion): Calibration | undefined {
    const s = this.#states.get(v);
    return s?.phase === "decided" ? s.calibration : undefined;
  }

  #decide(v: ReadyVersion, calibration: Calibration): void {
    this.#states.set(v, { phase: "decided", calibration, at: this.#now() });
    this.#decided(v, calibration);
  }
}
