import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { PromotionGate } from "../../src/registry/promotion-gate.ts";
import { SwitchClock } from "../../src/registry/switch-clock.ts";
import { linearModel } from "../helpers.ts";

describe("SwitchClock", () => {
  it("runs a change at its time, or at once when the time has passed", async () => {
    const clock = new SwitchClock();
    const seen: string[] = [];
    await clock.at(Date.now() - 5, () => seen.push("past"));
    assert.deepEqual(seen, ["past"]);
    const done = clock.at(Date.now() + 40, () => seen.push("later"));
    assert.equal(clock.due(), false);
    assert.deepEqual(seen, ["past"]);
    await done;
    assert.deepEqual(seen, ["past", "later"]);
    assert.equal(clock.next, Number.POSITIVE_INFINITY);
  });

  it("lets the registry apply a due change before routing, even when the timer has not fired", () => {
    const registry = new ModelRegistry();
    registry.register("m", "1", linearModel());
    registry.register("m", "2", linearModel());
    void registry.clock.at(Date.now() + 20, () => registry.setDefaultVersion("m", "1"));
    assert.equal(registry.resolve("m").version, "2");
    // Block the event loop past the switch time: the timer cannot run, routing must still switch.
    const end = Date.now() + 30;
    while (Date.now() < end) {}
    assert.equal(registry.clock.due(), true);
    assert.equal(registry.resolve("m").version, "1");
  });

  it("keeps changes in time order", async () => {
    const clock = new SwitchClock();
    const seen: number[] = [];
    const t = Date.now();
    await Promise.all([clock.at(t + 30, () => seen.push(2)), clock.at(t + 10, () => seen.push(1))]);
    assert.deepEqual(seen, [1, 2]);
  });
});

describe("PromotionGate", () => {
  it("holds a newly ready version back as the default until approved, reporting it once", () => {
    const registry = new ModelRegistry();
    registry.register("m", "1", linearModel());
    const candidates: string[] = [];
    registry.gate = new PromotionGate(registry.all(), (n, v) => candidates.push(`${n}@${v}`));
    registry.register("m", "2", linearModel());
    registry.register("m", "3", linearModel());
    assert.equal(registry.defaultVersion("m"), "1");
    assert.deepEqual(candidates, ["m@2", "m@3"]);
    registry.gate.approve("m", "2");
    registry.changed();
    assert.equal(registry.defaultVersion("m"), "2");
    assert.deepEqual(candidates, ["m@2", "m@3"]);
    // A pin is explicit: the gate does not apply to it.
    registry.setDefaultVersion("m", "3");
    assert.equal(registry.defaultVersion("m"), "3");
  });
});
