/**
 * The pool's threads over time: threads that only lazily bound models started stop after `idleMs`
 * without a call and start again (binding those models) at the next call; a model bound eagerly keeps
 * them; a long call is not cut short; a thread that dies while binding at start is replaced and the
 * model bound on its replacement, not given up as unbuildable.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import { setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import type { LoadedModel } from "../../../src/runtimes/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const RF = new URL("../../fixtures/sklearn/1.9.1/trees-rf-nan/model.joblib", import.meta.url).pathname;
const RF_ROWS = JSON.parse(
  readFileSync(new URL("../../fixtures/sklearn/1.9.1/trees-rf-nan/inputs.json", import.meta.url), "utf8"),
) as unknown[];
const label = { name: "m", version: "1" };
const previous = setLoadLimits({ sharedMemory: true });
after(() => setLoadLimits(previous));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await sleep(20);
}

async function withPool(size: number, idleMs: number, test: (p: InferencePool) => Promise<void>) {
  const pool = new InferencePool(size, { idleMs });
  try {
    await test(pool);
  } finally {
    await pool.close();
  }
}

async function forest(): Promise<{ m: LoadedModel; expected: unknown }> {
  const m = await loadModel(RF);
  assert.ok(m.shared, "the forest has a shared-memory recipe");
  return { m, expected: await m.predict(tableFromRows(m.signature, RF_ROWS)) };
}

describe("inference pool threads over time", () => {
  it("stops threads started for lazily bound models after idleMs without a call, and starts them again", async () => {
    const { m, expected } = await forest();
    await withPool(2, 500, async (pool) => {
      const id = await pool.bind(m.shared!, label, { lazy: true });
      const call = async () =>
        (await pool.call(id, ["predict"], tableFromRows(m.signature, RF_ROWS), label))[0];
      assert.deepStrictEqual(await call(), expected);
      assert.equal(pool.stats().threads, 2);
      await pool.untilReady();
      assert.equal(pool.ready, true);
      await until(() => pool.stats().threads === 0);
      assert.deepStrictEqual(
        { threads: pool.stats().threads, retired: pool.stats().retired, ready: pool.ready },
        { threads: 0, retired: 1, ready: false },
      );
      assert.deepStrictEqual(await pool.held(), []);
      // The model stays recorded: the next call starts the threads, which bind it first.
      assert.deepStrictEqual(await call(), expected);
      assert.equal(pool.stats().threads, 2);
      assert.deepStrictEqual(await pool.held(), [[id], [id]]);
      assert.equal(pool.stats().calls, 2);
      assert.equal(pool.stats().replaced, 0, "a stop is not a crash");
      // Calls keep them: 8 calls 100 ms apart (800 ms, more than idleMs) and none stops.
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        assert.deepStrictEqual(await call(), expected);
      }
      assert.equal(pool.stats().retired, 1);
    });
  });

  it("never stops threads while a model bound eagerly is on them, nor with idleMs 0", async () => {
    const { m, expected } = await forest();
    for (const [idleMs, lazy] of [
      [200, false],
      [0, true],
    ] as const) {
      await withPool(1, idleMs, async (pool) => {
        const id = await pool.bind(m.shared!, label, { lazy });
        assert.deepStrictEqual(
          (await pool.call(id, ["predict"], tableFromRows(m.signature, RF_ROWS), label))[0],
          expected,
        );
        await sleep(700);
        assert.equal(pool.stats().threads, 1, `idleMs ${idleMs}, lazy ${lazy}`);
        assert.equal(pool.stats().retired, 0);
      });
    }
  });

  it("stops them once the eager model is released", async () => {
    const { m } = await forest();
    await withPool(1, 200, async (pool) => {
      const eager = await pool.bind(m.shared!, label);
      const lazy = await pool.bind(m.shared!, label, { lazy: true });
      await pool.call(lazy, ["predict"], tableFromRows(m.signature, RF_ROWS), label);
      await sleep(500);
      assert.equal(pool.stats().threads, 1);
      pool.release(eager);
      await until(() => pool.stats().threads === 0);
      assert.equal(pool.stats().retired, 1);
    });
  });

  it("binds a model on the replacement of a thread that died while binding it at start", async () => {
    const { m, expected } = await forest();
    const marker = join(tmpdir(), `modelserve-dying-binder-${process.pid}-${Date.now()}`);
    writeFileSync(marker, "");
    const recipe = {
      module: new URL("./dying-binder.ts", import.meta.url).href,
      data: { marker, inner: m.shared! },
    };
    await withPool(1, 0, async (pool) => {
      const id = await pool.bind(recipe, label, { lazy: true });
      pool.start();
      await pool.untilReady();
      assert.equal(pool.stats().replaced, 1, "the first thread died binding it");
      assert.equal(pool.bindFailure(id), undefined);
      assert.equal(pool.ready, true);
      assert.deepStrictEqual(await pool.held(), [[id]]);
      assert.deepStrictEqual(
        (await pool.call(id, ["predict"], tableFromRows(m.signature, RF_ROWS), label))[0],
        expected,
      );
    });
  });
});
