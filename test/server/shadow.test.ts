/**
 * @module Tests of shadow traffic: a candidate version scores a copy of live requests only while the
 * server is idle, disagreements are counted (numbers within 1e-9 relative agree) with the last 20
 * kept, failures are counted with their message, the queue drops its oldest call past 1000 and a new
 * shadow version starts a fresh report.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PredictionValue } from "../../src/inference/run.ts";
import type { ReadyVersion } from "../../src/inference/version.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import type { FeatureTable, LoadedModel, PredictOutput } from "../../src/runtimes/runtime.ts";
import { ShadowTracker } from "../../src/server/shadow.ts";
import { PREDICT_ONLY } from "../helpers.ts";

/** A one-input regression model whose answer is `fn` of the input column. */
function model(fn: (x: number) => number, fail?: string): LoadedModel {
  return {
    signature: {
      inputs: [{ name: "x", dtype: "float", nullable: false }],
      output: { task: "regression" },
      capabilities: PREDICT_ONLY,
    },
    details: { format: "test", framework: "test", modelType: "fn" },
    info: {
      format: "test",
      framework: "test",
      modelType: "fn",
      runtime: "typescript",
      sha256: "0".repeat(64),
      sizeBytes: 0,
      loadTimeMs: 0,
      loadedAt: new Date(0).toISOString(),
    },
    async predict(t: FeatureTable): Promise<PredictOutput> {
      if (fail) throw new Error(fail);
      return { kind: "values", values: { rows: t.rows, cols: 1, data: t.numeric.map(fn) } };
    },
  };
}

function setup(shadowFn: (x: number) => number, fail?: string) {
  const registry = new ModelRegistry();
  const live = registry.register(
    "m",
    "1",
    model((x) => x),
  );
  registry.register("m", "2", model(shadowFn, fail));
  const tracker = new ShadowTracker(registry);
  return { registry, live, tracker };
}
const tableOf = (live: ReadyVersion, xs: number[]) =>
  live.validator.toTable(
    xs.map((x) => ({ x })),
    "instances",
  );

async function settle(tracker: ShadowTracker): Promise<void> {
  for (let i = 0; tracker.pending > 0; i++) {
    assert.ok(i < 10_000, "shadow calls finish");
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("ShadowTracker", () => {
  it("does nothing without a shadow, or when the shadow is the live version", async () => {
    const { registry, live, tracker } = setup((x) => x);
    tracker.mirror(live, tableOf(live, [1]), [1]);
    registry.setShadow("m", "1");
    tracker.mirror(live, tableOf(live, [1]), [1]);
    assert.equal(tracker.pending, 0);
    assert.equal(tracker.report("m"), undefined);
    assert.deepEqual([...tracker.reports()], []);
    await registry.close();
  });

  it("counts rows and disagreements, keeping each disagreeing pair", async () => {
    const { registry, live, tracker } = setup((x) => (x > 2 ? x + 1 : x));
    registry.setShadow("m", "2");
    tracker.mirror(live, tableOf(live, [1, 2, 3, 4]), [1, 2, 3, 4]);
    await settle(tracker);
    const r = tracker.report("m");
    assert.ok(r);
    assert.deepEqual(
      {
        version: r.version,
        rows: r.rows,
        disagreements: r.disagreements,
        errors: r.errors,
        skipped: r.skipped,
      },
      { version: "2", rows: 4, disagreements: 2, errors: 0, skipped: 0 },
    );
    assert.deepEqual(
      r.samples.map((s) => [s.live, s.shadow]),
      [
        [3, 4],
        [4, 5],
      ],
    );
    for (const s of r.samples) assert.ok(!Number.isNaN(Date.parse(s.at)), "an ISO time");
    assert.deepEqual(
      [...tracker.reports()].map(([n]) => n),
      ["m"],
    );
    await registry.close();
  });

  it("compares numbers with a 1e-9 relative tolerance and other values exactly", async () => {
    const { registry, live, tracker } = setup((x) => x * (1 + 1e-12));
    registry.setShadow("m", "2");
    // The shadow answers 1e6·(1 + 1e-12): within 1e-9 of 1e6, so no disagreement.
    tracker.mirror(live, tableOf(live, [1e6]), [1e6]);
    // Live answers recorded as other JSON types never equal the shadow's numbers.
    const others: PredictionValue[] = ["1", null, [1], { v: 1 }];
    tracker.mirror(live, tableOf(live, [1, 1, 1, 1]), others);
    // 1 vs 1.001 is a real difference.
    tracker.mirror(live, tableOf(live, [1.001]), [1]);
    await settle(tracker);
    const r = tracker.report("m")!;
    assert.equal(r.rows, 6);
    assert.equal(r.disagreements, 5);
    assert.deepEqual(r.samples.at(-1)?.shadow, 1.001 * (1 + 1e-12));
    await registry.close();
  });

  it("keeps only the 20 most recent disagreements", async () => {
    const { registry, live, tracker } = setup((x) => -x);
    registry.setShadow("m", "2");
    const xs = Array.from({ length: 30 }, (_, i) => i + 1);
    tracker.mirror(live, tableOf(live, xs), xs);
    await settle(tracker);
    const r = tracker.report("m")!;
    assert.equal(r.disagreements, 30);
    assert.deepEqual(
      r.samples.map((s) => s.live),
      xs.slice(10),
    );
    await registry.close();
  });

  it("counts failures of the shadow with the last message, and never throws", async () => {
    const { registry, live, tracker } = setup((x) => x, "shadow exploded");
    registry.setShadow("m", "2");
    tracker.mirror(live, tableOf(live, [1]), [1]);
    tracker.mirror(live, tableOf(live, [2]), [2]);
    await settle(tracker);
    const r = tracker.report("m")!;
    assert.deepEqual([r.rows, r.errors, r.lastError], [0, 2, "shadow exploded"]);
    registry.setShadow("m", "9");
    tracker.mirror(live, tableOf(live, [1]), [1]);
    await settle(tracker);
    const missing = tracker.report("m")!;
    assert.equal(missing.version, "9", "a new shadow version starts a new report");
    assert.equal(missing.errors, 1);
    assert.match(missing.lastError ?? "", /model "m" has no version "9"/);
    await registry.close();
  });

  it("waits while live requests are in flight, then runs", async () => {
    const { registry, live, tracker } = setup((x) => x + 1);
    registry.setShadow("m", "2");
    registry.enter(live);
    tracker.mirror(live, tableOf(live, [1]), [1]);
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(tracker.pending, 1, "still queued behind the live request");
    assert.equal(tracker.report("m"), undefined);
    registry.leave(live);
    await settle(tracker);
    assert.equal(tracker.report("m")?.disagreements, 1);
    await registry.close();
  });

  it("skips the oldest queued calls past 1000 and counts them", async () => {
    const { registry, live, tracker } = setup((x) => x);
    registry.setShadow("m", "2");
    registry.enter(live);
    const t = tableOf(live, [1]);
    for (let i = 0; i < 1005; i++) tracker.mirror(live, t, [1]);
    assert.equal(tracker.pending, 1000);
    assert.equal(tracker.report("m")?.skipped, 5);
    registry.leave(live);
    await settle(tracker);
    const r = tracker.report("m")!;
    assert.deepEqual([r.rows, r.disagreements, r.skipped], [1000, 0, 5]);
    await registry.close();
  });
});
