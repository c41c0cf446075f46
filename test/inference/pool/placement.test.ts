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

/** Runs `test` with a pool of its own (no thread started before it), closed afterwards. */
async function withPool(size: number, test: (p: InferencePool) => Promise<void>): Promise<void> {
  const own = new InferencePool(size);
  try {
    await test(own);
  } finally {
    await own.close();
  }
}

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

  it("auto starts no thread at placement: the first costly call starts them and runs inline, later ones go to the pool", async () => {
    await withPool(2, async (lazyPool) => {
      const m = await loadModel(RF);
      const { model, facts } = await placeModel(m, lazyPool, {
        ...label,
        mode: "auto",
        maxBatchRows: 100_000,
        cpus: { usable: 3, workers: 1 },
      });
      assert.equal(facts.mode, "pool", facts.reason);
      assert.equal(lazyPool.stats().threads, 0, "no thread at placement");
      assert.equal(lazyPool.stats().models, 1);
      const one = tableFromRows(m.signature, RF_ROWS.slice(0, 1));
      assert.deepStrictEqual(await model.predict(one), await m.predict(one));
      assert.equal(lazyPool.stats().threads, 0, "a single row (inline) starts no thread");
      const rows = Array.from({ length: facts.poolFromRows! }, (_, i) => RF_ROWS[i % RF_ROWS.length]);
      const expected = {
        labels: await m.predict(tableFromRows(m.signature, rows)),
        proba: await m.predictProba!(tableFromRows(m.signature, rows)),
      };
      const answers = async () => {
        const t = tableFromRows(m.signature, rows);
        return { labels: await model.predict(t), proba: await model.predictProba!(t) };
      };
      // The first costly call starts the threads and is answered inline meanwhile.
      assert.deepStrictEqual(await answers(), expected);
      assert.equal(lazyPool.stats().threads, 2);
      assert.equal(lazyPool.stats().calls, 0);
      await lazyPool.untilReady();
      assert.equal(lazyPool.ready, true);
      // Every thread bound the model before its first call; the next costly call runs there.
      assert.deepStrictEqual(await lazyPool.held(), [[1], [1]]);
      assert.deepStrictEqual(await answers(), expected);
      assert.equal(lazyPool.stats().calls, 1);
      await model.close!();
    });
  });

  it("answers inline, and says why, when the threads a first call started cannot build the model", async () => {
    await withPool(1, async (lazyPool) => {
      const m = await loadModel(RF);
      const unbuildable = {
        ...m,
        shared: { module: new URL("./failing-binder.ts", import.meta.url).href, data: {} },
      };
      const { model, facts } = await placeModel(unbuildable, lazyPool, {
        ...label,
        mode: "auto",
        maxBatchRows: 100_000,
        cpus: { usable: 2, workers: 1 },
      });
      assert.equal(facts.mode, "pool", facts.reason);
      const rows = Array.from({ length: facts.poolFromRows! }, (_, i) => RF_ROWS[i % RF_ROWS.length]);
      const expected = await m.predict(tableFromRows(m.signature, rows));
      assert.deepStrictEqual(await model.predict(tableFromRows(m.signature, rows)), expected);
      await lazyPool.untilReady();
      assert.equal(lazyPool.bindFailure(1), "this recipe cannot be rebuilt here");
      assert.deepStrictEqual(await lazyPool.held(), [[]], "released from the thread");
      const t = tableFromRows(m.signature, rows);
      assert.deepStrictEqual(await model.predict(t), expected);
      assert.deepStrictEqual(
        await model.predictProba!(t),
        await m.predictProba!(tableFromRows(m.signature, rows)),
      );
      assert.equal(lazyPool.stats().calls, 0, "every call ran inline");
      assert.deepStrictEqual(facts, {
        mode: "inline",
        reason: "binding it on the pool's threads failed: this recipe cannot be rebuilt here",
        cost: facts.cost,
      });
      await model.close!();
    });
  });

  it("a call made straight to a pool whose threads cannot build a model fails with the reason", async () => {
    await withPool(1, async (lazyPool) => {
      const m = await loadModel(RF);
      const id = await lazyPool.bind(
        { module: new URL("./failing-binder.ts", import.meta.url).href, data: {} },
        label,
        { lazy: true },
      );
      const t = tableFromRows(m.signature, RF_ROWS.slice(0, 2));
      for (let i = 0; i < 2; i++)
        await assert.rejects(lazyPool.call(id, ["predict"], t, label), {
          message: `model "m" version "1" could not be bound on the pool's threads: this recipe cannot be rebuilt here`,
        });
    });
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
    const nicePool = new InferencePool(1, { nice: 7 });
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
