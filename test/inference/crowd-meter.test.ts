import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CROWD_FROM, CROWD_UNTIL, CrowdMeter } from "../../src/inference/crowd-meter.ts";

/** `n` arrivals in this turn of the loop, then the turn ends. */
async function turn(m: CrowdMeter, n: number): Promise<void> {
  for (let i = 0; i < n; i++) m.arrive();
  await new Promise((r) => setImmediate(r));
}

describe("crowd meter", () => {
  it("averages the requests that arrive in one turn of the loop", async () => {
    const m = new CrowdMeter();
    for (let i = 0; i < 100; i++) await turn(m, 32);
    assert.ok(Math.abs(m.average - 32) < 0.01, String(m.average));
    for (let i = 0; i < 100; i++) await turn(m, 3);
    assert.ok(Math.abs(m.average - 3) < 0.01, String(m.average));
    // A turn without arrivals is not a turn of the meter's: the average stands.
    await new Promise((r) => setImmediate(r));
    assert.ok(Math.abs(m.average - 3) < 0.01);
  });

  it("counts arrivals spread over turns as turns of one", async () => {
    const m = new CrowdMeter();
    for (let i = 0; i < 200; i++) await turn(m, 1);
    assert.ok(m.average < 1.001 && m.average > 0.999, String(m.average));
    assert.equal(m.crowded, false);
  });

  it("turns crowded from CROWD_FROM and back below CROWD_UNTIL, not in between", async () => {
    const m = new CrowdMeter();
    const mid = (CROWD_FROM + CROWD_UNTIL) / 2;
    for (let i = 0; i < 100; i++) await turn(m, mid);
    assert.equal(m.crowded, false, "not crowded yet between the two bounds");
    for (let i = 0; i < 100; i++) await turn(m, CROWD_FROM + 1);
    assert.equal(m.crowded, true);
    for (let i = 0; i < 100; i++) await turn(m, mid);
    assert.equal(m.crowded, true, "still crowded between the two bounds");
    for (let i = 0; i < 100; i++) await turn(m, CROWD_UNTIL - 2);
    assert.equal(m.crowded, false);
  });
});
