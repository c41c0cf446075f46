/**
 * @module The `auto` micro-batching decision of each model version, from the model time of its own
 * calls on live rows once its code is warm (no extra model call is made). A version starts unbatched;
 * the median time of its single-row calls says whether it is cheap (then there is no trial: a cheap version's
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
  /**
   * Median model time of a row of a request run alone, in microseconds: of a single-row call, or for
   * requests of several rows each, their call's time over their rows.
   */
  readonly singleUs: number;
  /** Model time per row inside batches of two rows or more, in microseconds (after a trial). */
  readonly batchedRowUs?: number;
  /** Whether batching is on for this version (a cheap one: off, but batched while its requests crowd). */
  readonly batching: boolean;
  /** `cheap`: the model call is too cheap to batch; `pays` / `does-not-pay`: what the trial showed. */
  readonly reason: "cheap" | "pays" | "does-not-pay";
}

/** Calls of requests alone timed before deciding whether a version is cheap (after its warm-up). */
export const SINGLE_CALLS = 64;
/** Batched calls (two rows or more) timed in the trial (after its warm-up). */
export const TRIAL_CALLS = 96;
/**
 * Calls of each kind left out before timing, at most: a code path runs slower until the JIT has
 * optimised it, and for longer than a few calls. Under load at 32 connections, the median model time of
 * the iris RandomForest-100's single rows was 18 µs over calls 17–32, 12 over calls 65–128, 4.0 over
 * 1 025–2 048, 2.9 over 2 049–4 096 and 1.9 from 16 385 on; the breast-cancer RandomForest-300's 34, 23,
 * 8.9, 7.0 and 4.3 (2026-12-07). Timed after 16 calls, as until then, both looked costly (not cheap,
 * against a line at 10 µs), and at four connections `auto` batched the iris forest with waits for
 * company, at 0.68× the requests/s of `off`, until its decision was measured again five minutes later.
 */
export const WARM_UP_CALLS = 4096;
/**
 * The warm-up also ends once the calls left out took this much model time, in ms: a costly model (tens of
 * µs a call or more) is warm after far fewer calls, and its decision should not wait for thousands.
 */
export const WARM_UP_MS = 50;
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

/**
 * Whether a decided version is batched only while its requests arrive crowded: a cheap one, and one
 * whose trial showed joining saves too little model time to batch always (`does-not-pay`) but costs
 * none either (a row joined at most a row alone). Crowded, those still gain from being answered
 * together: one model call, then the answers written in one burst (scaling.md).
 */
export function crowdOnly(c: Calibration): boolean {
  if (c.reason === "cheap") return true;
  return c.reason === "does-not-pay" && c.batchedRowUs !== undefined && c.batchedRowUs <= c.singleUs;
}

/** How `auto` decides; each field defaults to the constant of the same meaning above. */
export interface PolicyTuning {
  /** Below this single-row time (µs) a version is cheap ({@link CHEAP_US}). */
  readonly cheapUs: number;
  /** Calls of each kind left out before timing, at most ({@link WARM_UP_CALLS}). */
  readonly warmUpCalls: number;
  /** …or until the calls left out took this many ms of model time ({@link WARM_UP_MS}). */
  readonly warmUpMs: number;
}

/** Calls left out so far (and their model time) before timing the calls of one kind. */
interface WarmUp {
  seen: number;
  seenMs: number;
}

type State =
  | ({
      readonly phase: "single";
      /** Model time of each timed call of a request alone, µs, and of each of its rows. */
      readonly times: number[];
      readonly rowTimes: number[];
    } & WarmUp)
  | ({
      readonly phase: "trial";
      readonly singleUs: number;
      /** 1 for the first trial, 2 for the second one a failed first trial gets. */
      readonly attempt: number;
      ms: number;
      rows: number;
      calls: number;
    } & WarmUp)
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
  readonly #tuning: PolicyTuning;

  /**
   * `decided` is told each time a version decides; `now` (ms) is the clock that makes a decision
   * expire after {@link REVISIT_MS}; `tuning` overrides the constants (tests).
   */
  constructor(
    decided: (v: ReadyVersion, c: Calibration) => void = () => undefined,
    now = Date.now,
    tuning: Partial<PolicyTuning> = {},
  ) {
    this.#decided = decided;
    this.#now = now;
    this.#tuning = { cheapUs: CHEAP_US, warmUpCalls: WARM_UP_CALLS, warmUpMs: WARM_UP_MS, ...tuning };
  }

  /** Whether a call of `ms` is one of the warm-up's calls left out (it is then counted in `w`). */
  #warming(w: WarmUp, ms: number): boolean {
    if (w.seen >= this.#tuning.warmUpCalls || w.seenMs >= this.#tuning.warmUpMs) return false;
    w.seen++;
    w.seenMs += ms;
    return true;
  }

  /** Whether requests for `v` go through a batching lane now. */
  batching(v: ReadyVersion): boolean {
    const s = this.#states.get(v);
    if (s === undefined || s.phase === "single") return false;
    return s.phase === "trial" || s.calibration.batching;
  }

  /**
   * Whether `v` is batched only while its requests arrive crowded, without waiting for company: found
   * cheap, or found not to pay while a row joined cost no more than a row alone ({@link crowdOnly}).
   */
  crowdOnly(v: ReadyVersion): boolean {
    const s = this.#states.get(v);
    return s?.phase === "decided" && crowdOnly(s.calibration);
  }

  /**
   * Records one model call of `rows` rows that took `ms` milliseconds of model time: the rows of
   * several requests joined (`joined`), or one request's own rows (by default, a single-row call).
   * The batcher leaves out requests as large as a whole batch: they always run alone.
   */
  observe(v: ReadyVersion, rows: number, ms: number, joined = rows > 1): void {
    let s = this.#states.get(v);
    if (s === undefined) {
      s = { phase: "single", seen: 0, seenMs: 0, times: [], rowTimes: [] };
      this.#states.set(v, s);
    }
    if (s.phase === "decided") {
      // Decisions expire: one taken while a neighbour was hogging the CPU must not stand for good.
      if (this.#now() - s.at < REVISIT_MS) return;
      s = { phase: "single", seen: 0, seenMs: 0, times: [], rowTimes: [] };
      this.#states.set(v, s);
    }
    if (s.phase === "single") {
      // Requests alone, whatever their size: clients that send a few rows at a time are measured
      // as they come (a row alone then means a row of such a request's own call).
      if (joined || this.#warming(s, ms)) return;
      s.times.push(ms * 1000);
      s.rowTimes.push((ms * 1000) / rows);
      if (s.times.length < SINGLE_CALLS) return;
      // Cheap: the call a request makes alone is too cheap for sharing it to matter.
      const singleUs = median(s.rowTimes);
      if (median(s.times) < this.#tuning.cheapUs)
        this.#decide(v, { singleUs, batching: false, reason: "cheap" });
      else
        this.#states.set(v, {
          phase: "trial",
          singleUs,
          attempt: 1,
          seen: 0,
          seenMs: 0,
          ms: 0,
          rows: 0,
          calls: 0,
        });
      return;
    }
    if (!joined || this.#warming(s, ms)) return;
    // Summed, not a median per call: large batches, where batching matters, weigh more.
    s.ms += ms;
    s.rows += rows;
    if (++s.calls < TRIAL_CALLS) return;
    const batchedRowUs = (s.ms * 1000) / s.rows;
    const pays = batchedRowUs <= PAYING_RATIO * s.singleUs;
    if (!pays && s.attempt < TRIALS) {
      // A trial can fall on a bad moment (another process on the CPU, the collector, a recompile):
      // turning batching off takes two failed trials in a row.
      this.#states.set(v, { ...s, attempt: s.attempt + 1, seen: 0, seenMs: 0, ms: 0, rows: 0, calls: 0 });
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
