/**
 * @module A choice between two interchangeable implementations of a model call (the same answers, bit
 * for bit), made by timing both on the calls the model serves. Which is faster can depend on the rows,
 * not only on the model: compiled trees run branches the processor predicts well on some data and
 * badly on other (`xgboost/compiled-sums.ts`). So the first calls alternate between the two: a few
 * untimed while V8 optimizes each, then a few timed; the one with the lower median time per unit of
 * work (rows) serves every later call. A choice made at load on made-up rows, or on code not yet
 * optimized, was what made an earlier timed choice flip between runs of one model (the forests'
 * QuickScorer); here both have warmed up on real calls (by calls and by rows) before any is timed.
 */

/** Which implementation serves: the first, the second, or not decided yet. */
export type RaceChoice = "first" | "second" | undefined;

/** Untimed calls each implementation gets before timing starts (and {@link RACE_WARM_WORK} rows). */
export const RACE_WARM_CALLS = 4;
/**
 * Untimed work (rows) each implementation gets before timing starts. Calls, not rows, were the first
 * measure: the first calls an XGBoost server makes are at load (21 to 30 rows), and after four of them
 * its compiled trees still ran unoptimized at 9–20 µs a row against the walk's 6 (1 once warm).
 */
export const RACE_WARM_WORK = 4096;
/** Timed calls each implementation gets. */
export const RACE_TIMED_CALLS = 5;

/** A race between two implementations of one call (see the module's comment). */
export interface CallRace {
  /** Runs the call with the implementation whose turn it is (or the winner), timing it while racing. */
  run<T>(work: number, first: () => T, second: () => T): T;
  /** The winner, once decided. */
  readonly choice: RaceChoice;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

/** A new race; `now` is the clock (milliseconds), replaceable in tests. */
export function callRace(now: () => number = () => performance.now()): CallRace {
  let calls = 0;
  let choice: RaceChoice;
  const times: [number[], number[]] = [[], []];
  /** Untimed calls and work each implementation has had. */
  const warmCalls = [0, 0];
  const warmWork = [0, 0];
  return {
    get choice() {
      return choice;
    },
    run(work, first, second) {
      if (choice === "first") return first();
      if (choice === "second") return second();
      const i = calls & 1;
      calls++;
      const timed = warmCalls[i] >= RACE_WARM_CALLS && warmWork[i] >= RACE_WARM_WORK;
      if (!timed) {
        warmCalls[i]++;
        warmWork[i] += work;
      }
      const t0 = timed ? now() : 0;
      const out = i === 0 ? first() : second();
      if (timed) {
        times[i].push((now() - t0) / Math.max(1, work));
        if (times[1].length >= RACE_TIMED_CALLS)
          choice = median(times[1]) < median(times[0]) ? "second" : "first";
      }
      return out;
    },
  };
}
