import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callRace, RACE_TIMED_CALLS, RACE_WARM_CALLS } from "../../../src/runtimes/common/call-race.ts";

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

const RACING = 2 * (RACE_WARM_CALLS + RACE_TIMED_CALLS);

describe("call race", () => {
  it("alternates while racing, returns each call's own answer, then keeps to the faster", () => {
    const { race, calls, run } = rig(3, 1);
    for (let i = 0; i < RACING; i++) {
      assert.equal(race.choice, undefined);
      assert.equal(run(i + 1), `${i % 2 === 0 ? "first" : "second"}:${i + 1}`);
    }
    assert.equal(race.choice, "second");
    assert.deepEqual(
      calls,
      Array.from({ length: RACING }, (_, i) => (i % 2 === 0 ? "first" : "second")),
    );
    for (let i = 0; i < 20; i++) assert.equal(run(8), "second:8");
  });

  it("times per unit of work, so batch sizes do not decide", () => {
    // The second is slower per row but its turns get the small batches.
    const { race, run } = rig(1, 1.5);
    for (let i = 0; i < RACING; i++) run(i % 2 === 0 ? 1000 : 8);
    assert.equal(race.choice, "first");
  });

  it("ignores the warm-up calls and a slow outlier among the timed ones", () => {
    let clock = 0;
    const race = callRace(() => clock);
    for (let i = 0; i < RACING; i++) {
      const timedTurn = Math.floor(i / 2) - RACE_WARM_CALLS;
      // The second is very slow while warming up and once while timed, faster otherwise.
      const secondCost = timedTurn < 0 ? 1000 : timedTurn === 1 ? 500 : 1;
      race.run(
        10,
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
    for (let i = 0; i < RACING; i++) run(10);
    assert.equal(race.choice, "first");
  });
});
