import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  callRace,
  RACE_LOOK_EVERY,
  RACE_REMATCH_MS,
  RACE_TIMED_CALLS,
  RACE_TIMED_MS,
  RACE_WARM_CALLS,
  RACE_WARM_MS,
} from "../../../src/runtimes/common/call-race.ts";

/**
 * A race on a fake clock where a call of `work` rows costs `cost(side, work, call)` ms (call counts each
 * side's calls from 0). Returns the race, the sides called in order, and a runner.
 */
function rig(cost: (side: "first" | "second", work: number, call: number) => number) {
  let clock = 0;
  const race = callRace(() => clock);
  const calls: string[] = [];
  const count = { first: 0, second: 0 };
  const side = (s: "first" | "second", work: number) => () => {
    calls.push(s);
    clock += cost(s, work, count[s]++);
    return `${s}:${work}`;
  };
  const run = (work: number) => race.run(work, side("first", work), side("second", work));
  return { race, calls, run, count };
}

/** Work per warm-up call that makes RACE_WARM_CALLS calls at 1 ms per unit just enough. */
const WARM_WORK = Math.ceil(RACE_WARM_MS / RACE_WARM_CALLS);
/** Work per timed call that makes RACE_TIMED_CALLS calls at 1 ms per unit enough. */
const TIMED_WORK = Math.ceil(RACE_TIMED_MS / RACE_TIMED_CALLS);
const WARMING = 2 * RACE_WARM_CALLS;
const TIMING = 2 * RACE_TIMED_CALLS;

describe("call race", () => {
  it("alternates while racing, returns each call's own answer, then keeps to the faster", () => {
    const { race, calls, run } = rig((s, work) => (s === "first" ? 3 : 1) * work);
    for (let i = 0; i < WARMING + TIMING; i++) {
      assert.equal(race.choice, undefined);
      const work = i < WARMING ? WARM_WORK : TIMED_WORK + i;
      assert.equal(run(work), `${i % 2 === 0 ? "first" : "second"}:${work}`);
    }
    assert.equal(race.choice, "second");
    assert.deepEqual(
      calls,
      Array.from({ length: WARMING + TIMING }, (_, i) => (i % 2 === 0 ? "first" : "second")),
    );
    for (let i = 0; i < 20; i++) assert.equal(run(8), "second:8");
  });

  it("times per unit of work, so batch sizes do not decide", () => {
    // The second is slower per row, but its turns get the small calls.
    const { race, run } = rig((s, work) => (s === "first" ? 1 : 1.5) * work);
    for (let i = 0; i < WARMING; i++) run(WARM_WORK);
    for (let i = 0; i < TIMING; i++) run(i % 2 === 0 ? 1000 : TIMED_WORK);
    assert.equal(race.choice, "first");
  });

  it("warms each up until it has spent RACE_WARM_MS, however many calls that takes", () => {
    // The second runs slow (0.05 ms a row) until it has spent 50 ms, as a function runs in a JIT's
    // middle tier until the optimizing one has it, then fast (0.005): a warm-up counted in calls or
    // rows would have timed its slow phase and chosen the first (0.01).
    let spent = 0;
    const { race, run } = rig((s, work) => {
      if (s === "first") return 0.01 * work;
      const ms = (spent < 50 ? 0.05 : 0.005) * work;
      spent += ms;
      return ms;
    });
    while (race.choice === undefined) run(1);
    assert.equal(race.choice, "second");
    assert.ok(spent >= RACE_WARM_MS);
  });

  it("times tiny calls until each side has spent RACE_TIMED_MS", () => {
    const { race, run, count } = rig((s, work) => (s === "first" ? 0.002 : 0.001) * work);
    for (let i = 0; i < 2 * (RACE_WARM_MS / 0.001); i++) run(1);
    const before = { ...count };
    while (race.choice === undefined) run(1);
    assert.equal(race.choice, "second");
    // The first (0.002 ms a call) needed RACE_TIMED_MS / 0.002 timed calls, far more than RACE_TIMED_CALLS.
    assert.ok(count.first - before.first >= RACE_TIMED_MS / 0.002 - 1, JSON.stringify({ count, before }));
  });

  it("leaves the slowest timed calls out", () => {
    // The second is faster but one of its timed calls in five is interrupted (×40).
    const { race, run } = rig((s, work, call) => {
      if (s === "first") return 2 * work;
      return (call >= RACE_WARM_CALLS && call % 5 === 0 ? 40 : 1) * work;
    });
    for (let i = 0; i < WARMING; i++) run(WARM_WORK);
    while (race.choice === undefined) run(TIMED_WORK);
    assert.equal(race.choice, "second");
  });

  it("races again a while after deciding, and then keeps to the side optimized since", () => {
    // The second stays slow (0.05 ms a row) for its first 300 ms, longer than the first race's warm-up:
    // an optimizing compiler on a busy CPU. The first race picks the first (0.01); the rematch, 1 s
    // later, finds the second fast (0.005) and keeps to it.
    let spent = 0;
    const { race, run, calls } = rig((s, work) => {
      if (s === "first") return 0.01 * work;
      const ms = (spent < 300 ? 0.05 : 0.005) * work;
      spent += ms;
      return ms;
    });
    while (race.choice === undefined) run(10);
    assert.equal(race.choice, "first");
    const decidedAfter = calls.length;
    // Served by the first until the rematch is due (0.1 ms a call: 10 000 calls to the 1 s mark).
    let served = 0;
    while (race.choice === "first" && served < 20_000) {
      run(10);
      served++;
    }
    assert.equal(race.choice, undefined, "a rematch started");
    assert.ok(served >= RACE_REMATCH_MS[0] / 0.1 - RACE_LOOK_EVERY, `rematch after ${served} calls`);
    assert.ok(calls.slice(decidedAfter, decidedAfter + served).every((c) => c === "first"));
    // The second, still not optimized, spends its next 300 - spent ms warming up.
    while (race.choice === undefined) run(10);
    assert.equal(race.choice, "second");
    for (let i = 0; i < 100; i++) assert.equal(run(10), "second:10");
  });

  it("runs each rematch once, then keeps its last choice for good", () => {
    // A race whose sides swap speeds every time it is run: every rematch changes the choice, so the
    // choices counted are the rematches run.
    let races = 0;
    const { race, run } = rig((s, work) => {
      const firstFast = races % 2 === 0;
      return (s === "first") === firstFast ? work : 3 * work;
    });
    const choices: string[] = [];
    for (let i = 0; i < 400_000; i++) {
      const before = race.choice;
      run(10);
      if (race.choice !== before && race.choice !== undefined) {
        choices.push(race.choice);
        races++;
      }
    }
    assert.deepEqual(choices, ["first", "second", "first", "second"]);
    assert.equal(choices.length, 1 + RACE_REMATCH_MS.length);
  });

  it("reads the clock once per RACE_LOOK_EVERY calls once decided", () => {
    let clock = 0;
    let reads = 0;
    const race = callRace(() => {
      reads++;
      return clock;
    });
    const side = (ms: number) => () => {
      clock += ms;
      return ms;
    };
    while (race.choice === undefined) race.run(1, side(5), side(1));
    const before = reads;
    for (let i = 0; i < 100 * RACE_LOOK_EVERY; i++) race.run(1, side(5), side(0.001));
    assert.equal(reads - before, 100);
    // settled() counts like run(): a caller that calls the winner itself.
    for (let i = 0; i < 10 * RACE_LOOK_EVERY; i++) assert.equal(race.settled(), "second");
    assert.equal(reads - before, 110);
  });

  it("keeps the first on a tie", () => {
    const { race, run } = rig((_, work) => 2 * work);
    for (let i = 0; i < WARMING; i++) run(WARM_WORK);
    for (let i = 0; i < TIMING; i++) run(TIMED_WORK);
    assert.equal(race.choice, "first");
  });
});
