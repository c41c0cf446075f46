/**
 * Placement of a model inline or on the pool: `auto` keeps a model inline when even its largest batch
 * costs less than the threshold, and names the reason; a model without a shared-memory recipe (loaded
 * with the loader worker or shared memory off) stays inline whatever the mode; `auto` keeps models inline
 * when the process has no CPU beyond its event loops; a classifier's prediction
 * and probabilities of one table are one pool call; calls beyond the threads wait in the queue.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import { POOL_MIN_CALL_US, placeModel } from "../../../src/inference/pool/placement.ts";
import { setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const TREE = new URL("../../../examples/iris/models/decision_tree.joblib", import.meta.url).pathname;
const RF = new URL("../../fixtures/sklearn/1.9.1/trees-rf-nan/model.joblib", import.meta.url).pathname;
const RF_ROWS = JSON.parse(
  readFileSync(new URL("../../fixtures/sklearn/1.9.1/trees-rf-nan/inputs.json", import.meta.url), "utf8"),
) as unknown[];
const IRIS = [[5.1, 3.5, 1.4, 0.2]];

const pool = new InferencePool(1);
// As a server that may place models on the pool loads them: arrays in shared memory.
const previous = setLoadLimits({ sharedMemory: true });
after(async () => {
  setLoadLimits(previous);
  await pool.close();
});

const label = { name: "m", version: "1" };

describe("placement", () => {
  it("auto keeps a model inline when its largest call costs under the threshold, with the measured cost", async () => {
    const m = await loadModel(TREE);
    const { model, facts } = await placeModel(m, pool, { ...label, mode: "auto", maxBatchRows: 1 });
    assert.equal(model, m);
    assert.equal(facts.mode, "inline");
    assert.match(
      facts.reason,
      new RegExp(`a batch of 1 rows would cost about \\d+ µs, under the ${POOL_MIN_CALL_US} µs`),
    );
    assert.ok(facts.cost && facts.cost.firstRowUs > 0 && facts.cost.firstRowUs < POOL_MIN_CALL_US);
    assert.equal(pool.stats().threads, 0, "no thread started for an inline model");
  });

  it("auto keeps every model inline without a CPU to spare beside the event loops, and says so", async () => {
    const m = await loadModel(RF);
    for (const [usable, workers] of [
      [1, 1],
      [2, 2],
    ]) {
      const { model, facts } = await placeModel(m, pool, {
        ...label,
        mode: "auto",
        maxBatchRows: 100_000,
        cpus: { usable, workers },
      });
      assert.equal(model, m);
      assert.deepEqual(facts.mode, "inline");
      assert.match(facts.reason, new RegExp(`may use ${usable} CPUs? for ${workers} event loops?`));
    }
    // With one to spare, the same costly model goes to the pool; forced, it does whatever the CPUs.
    const spare = await placeModel(m, pool, {
      ...label,
      mode: "auto",
      maxBatchRows: 100_000,
      cpus: { usable: 2, workers: 1 },
    });
    assert.equal(spare.facts.mode, "pool", spare.facts.reason);
    const forced = await placeModel(m, pool, {
      ...label,
      mode: "pool",
      maxBatchRows: 1000,
      cpus: { usable: 1, workers: 1 },
    });
    assert.equal(forced.facts.mode, "pool");
    await spare.model.close?.();
    await forced.model.close?.();
  });

  for (const [what, limits] of [
    ["the loader worker off", { worker: false }],
    ["shared memory off", { sharedMemory: false }],
  ] as const)
    it(`keeps a model loaded with ${what} inline, even when pool is asked`, async () => {
      setLoadLimits(limits);
      try {
        const m = await loadModel(RF);
        assert.equal(m.shared, undefined);
        const { model, facts } = await placeModel(m, pool, { ...label, mode: "pool", maxBatchRows: 1000 });
        assert.equal(model, m);
        assert.deepStrictEqual(facts, {
          mode: "inline",
          reason:
            "its arrays are not in shared memory (loaded with the loader worker off, or with every model inline)",
        });
      } finally {
        setLoadLimits({ ...previous, sharedMemory: true });
      }
    });

  it("auto places a forest's large batches on the pool and its single rows inline", async () => {
    const m = await loadModel(RF);
    const { model, facts } = await placeModel(m, pool, { ...label, mode: "auto", maxBatchRows: 100_000 });
    assert.equal(facts.mode, "pool", facts.reason);
    const from = facts.poolFromRows!;
    assert.ok(from > 1);
    const { firstRowUs, perRowUs } = facts.cost!;
    assert.ok(firstRowUs + perRowUs * (from - 1) >= POOL_MIN_CALL_US);
    assert.ok(firstRowUs + perRowUs * (from - 2) < POOL_MIN_CALL_US);
    const calls = pool.stats().calls;
    await model.predict(tableFromRows(m.signature, RF_ROWS.slice(0, 1)));
    assert.equal(pool.stats().calls, calls);
    await model.predict(
      tableFromRows(
        m.signature,
        Array.from({ length: from }, (_, i) => RF_ROWS[i % RF_ROWS.length]),
      ),
    );
    assert.equal(pool.stats().calls, calls + 1);
    await model.close!();
  });

  it("runs a prediction and the probabilities of the same table as one pool call", async () => {
    const m = await loadModel(TREE);
    const { model } = await placeModel(m, pool, { ...label, mode: "pool", maxBatchRows: 1000 });
    const calls = pool.stats().calls;
    const t = tableFromRows(m.signature, IRIS);
    const labels = await model.predict(t);
    const proba = await model.predictProba!(t);
    assert.equal(pool.stats().calls, calls + 1);
    assert.deepStrictEqual(labels, await m.predict(tableFromRows(m.signature, IRIS)));
    assert.deepStrictEqual(proba, await m.predictProba!(tableFromRows(m.signature, IRIS)));
    // Another table asks again.
    await model.predictProba!(tableFromRows(m.signature, IRIS));
    assert.equal(pool.stats().calls, calls + 2);
    await model.close!();
  });

  it("runs its threads at the configured nice value (Linux), the event loop unchanged", {
    skip: process.platform !== "linux",
  }, async () => {
    const niceOf = (tid: string) =>
      Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
    const before = new Set(readdirSync("/proc/self/task"));
    const nicePool = new InferencePool(1, 7);
    try {
      const m = await loadModel(TREE);
      await placeModel(m, nicePool, { ...label, mode: "pool", maxBatchRows: 1000 });
      const added = readdirSync("/proc/self/task").filter((t) => !before.has(t));
      assert.ok(added.map(niceOf).includes(7), `nice values of new threads: ${added.map(niceOf)}`);
      assert.equal(niceOf(String(process.pid)), 0);
    } finally {
      await nicePool.close();
    }
  });

  it("answers the calls queued for a model released meanwhile, then drops it from its threads", async () => {
    const m = await loadModel(RF);
    const { model } = await placeModel(m, pool, { ...label, mode: "pool", maxBatchRows: 1000 });
    const t = () => tableFromRows(m.signature, RF_ROWS);
    const running = Array.from({ length: 4 }, () => model.predictProba!(t()));
    assert.equal(pool.stats().queued, 3);
    await model.close!();
    const expected = await m.predictProba!(t());
    for (const r of await Promise.all(running)) assert.deepStrictEqual(r, expected);
    assert.deepStrictEqual(await pool.held(), [[]]);
  });

  it("queues calls beyond its threads and answers each in turn", async () => {
    const m = await loadModel(RF);
    const { model } = await placeModel(m, pool, { ...label, mode: "pool", maxBatchRows: 1000 });
    const t = () => tableFromRows(m.signature, RF_ROWS);
    const running = Array.from({ length: 6 }, () => model.predictProba!(t()));
    assert.equal(pool.stats().busy, 1);
    assert.equal(pool.stats().queued, 5);
    const expected = await m.predictProba!(t());
    for (const r of await Promise.all(running)) assert.deepStrictEqual(r, expected);
    assert.deepStrictEqual(pool.stats(), { ...pool.stats(), busy: 0, queued: 0 });
    await model.close!();
    assert.deepStrictEqual(await pool.held(), [[]]);
  });
});
