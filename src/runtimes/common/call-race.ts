/**
 * @module A choice between two interchangeable implementations of a model call (the same answers, bit
 * for bit), made by timing both on the calls the model serves. Which is faster can depend on the rows,
 * not only on the model: compiled trees run branches the processor predicts well on some data and
 * badly on other (`xgboost/wasm-sums.ts`, `xgboost/compiled-sums.ts`). So the first calls alternate between the two: untimed
 * while V8 optimizes each, then timed; the one with the lower time per unit of work (rows) serves every
 * later call. A choice made at load on made-up rows, or on code not yet optimized, was what made an
 * earlier timed choice flip between runs of one model (the forests' QuickScorer).
 *
 * Warming up is measured in time spent, not in calls or rows: V8 first runs a hot function through its
 * mid-tier compiler (Maglev), and only later through the optimizing one (TurboFan). An XGBoost
 * booster's compiled trees ran single rows at 5–16 µs under Maglev and 0.5 µs under TurboFan, which they
 * reached after about 12 000 calls and 85 ms spent in them; 1000-row batches after a single-row phase
 * ran 2–8 ms under Maglev and 0.38 ms once TurboFan had them, after 46 ms spent (measured in process,
 * 2026-12-07). A warm-up of 4 calls and 4 096 rows timed the Maglev code, and chose the walk, in a
 * server whose batches then ran 1.5× faster with the compiled trees forced.
 *
 * The optimizing compiler works on a background thread, so on a busy single CPU even 100 ms can be too
 * short: in a process pinned to one CPU, 5 of 16 starts of that booster timed its compiled trees at
 * 1.1–2.9 µs a row (TurboFan: 0.40) and chose the walks (0.9), for good. So a decided race is run again
 * {@link RACE_REMATCH_MS} after it was decided (1 s, then 10 s, then 100 s; after that the choice
 * stays), with the same warm-up: a side that was not optimized yet is by then. The warm-up is needed
 * again: V8 tiers up code that runs, and the side not called since the decision had not moved (a
 * rematch warmed up by 4 calls only timed those compiled trees at 1.08 µs a row 1 s later, still in
 * the middle tier, and kept the walks).
 */

/** Which implementation serves: the first, the second, or not decided yet. */
export type RaceChoice = "first" | "second" | undefined;

/** Untimed calls each implementation gets before timing starts (with {@link RACE_WARM_MS}). */
export const RACE_WARM_CALLS = 4;
/** Time each implementation spends in untimed calls before timing starts, ms. */
export const RACE_WARM_MS = 100;
/** Timed calls each implementation gets (with {@link RACE_TIMED_MS}). */
export const RACE_TIMED_CALLS = 5;
/** Time each implementation spends in timed calls, at least, ms: tiny calls are timed by the many. */
export const RACE_TIMED_MS = 5;
/** The share of each implementation's slowest timed calls (per unit of work) left out: interruptions. */
export const RACE_TRIM = 0.2;
/** How long after each decision the race is run again, ms (one entry per rematch; then no more). */
export const RACE_REMATCH_MS: readonly number[] = [1_000, 10_000, 100_000];
/** Once decided, the clock is read every this many calls only (a single row costs well under a microsecond). */
export const RACE_LOOK_EVERY = 64;

/** A race between two implementations of one call (see the module's comment). */
export interface CallRace {
  /** Runs the call with the implementation whose turn it is (or the winner), timing it while racing. */
  run<T>(work: number, first: () => T, second: () => T): T;
  /**
   * The winner for this call, or undefined while racing (then {@link CallRace.run} runs it). Counts the
   * call: a caller that calls the winner itself asks this once per call, so that rematches come when due.
   */
  settled(): RaceChoice;
  /** The winner, once decided (no side effect). */
  readonly choice: RaceChoice;
}

interface Side {
  warmCalls: number;
  warmMs: number;
  timedMs: number;
  readonly timed: { readonly ms: number; readonly work: number }[];
}

/** Time per unit of work over the timed calls, the slowest {@link RACE_TRIM} of them left out. */
function trimmedRate(side: Side): number {
  const calls = [...side.timed].sort((a, b) => a.ms / a.work - b.ms / b.work);
  const kept = calls.slice(0, Math.max(1, Math.ceil(calls.length * (1 - RACE_TRIM))));
  let ms = 0;
  let work = 0;
  for (const c of kept) {
    ms += c.ms;
    work += c.work;
  }
  return ms / work;
}

/** A new race; `now` is the clock (milliseconds), replaceable in tests. */
export function callRace(now: () => number = () => performance.now()): CallRace {
  let calls = 0;
  let choice: RaceChoice;
  let decidedAt = 0;
  let rematches = 0;
  let sinceLook = 0;
  const fresh = (): Side => ({ warmCalls: 0, warmMs: 0, timedMs: 0, timed: [] });
  let sides: [Side, Side] = [fresh(), fresh()];
  const done = (s: Side) => s.timed.length >= RACE_TIMED_CALLS && s.timedMs >= RACE_TIMED_MS;
  const settled = (): RaceChoice => {
    if (choice !== undefined && rematches < RACE_REMATCH_MS.length && ++sinceLook >= RACE_LOOK_EVERY) {
      sinceLook = 0;
      if (now() - decidedAt >= RACE_REMATCH_MS[rematches]) {
        // Race again from the start, warm-up included: the side not called since was not tiered up.
        rematches++;
        choice = undefined;
        calls = 0;
        sides = [fresh(), fresh()];
      }
    }
    return choice;
  };
  return {
    get choice() {
      return choice;
    },
    settled,
    run(work, first, second) {
      const decided = settled();
      if (decided === "first") return first();
      if (decided === "second") return second();
      const i = calls & 1;
      calls++;
      const side = sides[i];
      const t0 = now();
      const out = i === 0 ? first() : second();
      const ms = now() - t0;
      if (side.warmCalls < RACE_WARM_CALLS || side.warmMs < RACE_WARM_MS) {
        side.warmCalls++;
        side.warmMs += ms;
      } else if (!done(side)) {
        side.timed.push({ ms, work: Math.max(1, work) });
        side.timedMs += ms;
        if (done(sides[0]) && done(sides[1])) {
          choice = trimmedRate(sides[1]) < trimmedRate(sides[0]) ? "second" : "first";
          decidedAt = now();
          sinceLook = 0;
        }
      }
      return out;
    },
  };
}
