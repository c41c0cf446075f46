import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  callRace,
  RACE_TIMED_CALLS,
  RACE_WARM_CALLS,
  RACE_WARM_WORK,
} from "../../../src/runtimes/common/call-race.ts";

/** A race on a fake clock where the first implementation costs `a` ms per unit of work, the second `b`. */
function rig(a: number, b: number) {
  let clock = 0;
  const race = callRace(() => clock);
  const calls: string[] = [];
  const run = (work: number) =>
    race.run(
      work,
      () => {
        calls.push("first");
        clock += a * work;
        return `first:${work}`;
      },
      () => {
        calls.push("second");
        clock += b * work;
        return `second:${work}`;
      },
    );
  return { race, calls, run };
}

const WARMING = 2 * RACE_WARM_CALLS;
const TIMING = 2 * RACE_TIMED_CALLS;
/** Calls of enough work to end the warm-up in RACE_WARM_CALLS calls each. */
const WARM = Math.ceil(RACE_WARM_WORK / RACE_WARM_CALLS);

describe("call race", () => {
  it("alternates while racing, returns each call's own answer, then keeps to the faster", () => {
    const { race, calls, run } = rig(3, 1);
    for (let i = 0; i < WARMING + TIMING; i++) {
      assert.equal(race.choice, undefined);
      const work = i < WARMING ? WARM : i + 1;
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
    // The second is slower per row but its turns get the small batches.
    const { race, run } = rig(1, 1.5);
    for (let i = 0; i < WARMING; i++) run(WARM);
    for (let i = 0; i < TIMING; i++) run(i % 2 === 0 ? 1000 : 8);
    assert.equal(race.choice, "first");
  });

  it("keeps warming up until each has run RACE_WARM_WORK rows, however many calls that takes", () => {
    const clock = 0;
    let reads = 0;
    const race = callRace(() => {
      reads++;
      return clock;
    });
    const run = (work: number) =>
      race.run(
        work,
        () => "first",
        () => "second",
      );
    // Many small calls: still warming, nothing timed.
    for (let i = 0; i < 2 * (RACE_WARM_WORK - 1); i++) run(1);
    assert.equal(reads, 0);
    run(1);
    run(1);
    for (let i = 0; i < TIMING; i++) run(1);
    assert.equal(reads, 2 * TIMING);
    assert.notEqual(race.choice, undefined);
  });

  it("ignores the warm-up calls and a slow outlier among the timed ones", () => {
    let clock = 0;
    const race = callRace(() => clock);
    for (let i = 0; i < WARMING + TIMING; i++) {
      const timedTurn = Math.floor(i / 2) - RACE_WARM_CALLS;
      // The second is very slow while warming up and once while timed, faster otherwise.
      const secondCost = timedTurn < 0 ? 1000 : timedTurn === 1 ? 500 : 1;
      race.run(
        i < WARMING ? WARM : 10,
        () => {
          clock += 2 * 10;
        },
        () => {
          clock += secondCost * 10;
        },
      );
    }
    assert.equal(race.choice, "second");
  });

  it("keeps the first on a tie", () => {
    const { race, run } = rig(2, 2);
    for (let i = 0; i < WARMING; i++) run(WARM);
    for (let i = 0; i < TIMING; i++) run(10);
    assert.equal(race.choice, "first");
  });
});
