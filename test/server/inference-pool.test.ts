/**
 * The inference pool in a real server: placement shown in `/models/{name}` (forced pool, auto for a
 * costly forest, inline for a cheap tree and a TypeScript model, with reasons); a heavy batch on the pool
 * while single rows of another model keep being answered; a crashed thread failing only its call with
 * `MS_INFERENCE_THREAD_FAILED` and being replaced; the inference timeout still holding; `/metrics`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { usableCpus } from "../../src/cluster/cpus.ts";
import { loadConfig } from "../../src/config/config.ts";
import { appFor, inferenceThreads, prepareModels, startModels } from "../../src/deploy.ts";
import type { InferencePool } from "../../src/inference/pool/inference-pool.ts";
import type { PlacementFacts } from "../../src/inference/pool/placement.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../src/schema/validator.ts";
import type { App } from "../../src/server/app.ts";
import { closeGracefully } from "../../src/server/lifecycle.ts";
import { linear, silent } from "../helpers.ts";

const fixture = (p: string) => new URL(`../fixtures/sklearn/1.9.1/${p}`, import.meta.url).pathname;
const IFOREST = fixture("iforest-default/model.joblib");
const IFOREST_ROWS = JSON.parse(readFileSync(fixture("iforest-default/inputs.json"), "utf8")) as number[][];
const RF = fixture("trees-rf-reg/model.joblib");
const RF_ROWS = JSON.parse(readFileSync(fixture("trees-rf-reg/inputs.json"), "utf8")) as number[][];
const TREE = new URL("../../examples/iris/models/decision_tree.joblib", import.meta.url).pathname;
const IRIS = [5.1, 3.5, 1.4, 0.2];

let app: App;
let base: string;
let pool: InferencePool;

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function placement(name: string): Promise<PlacementFacts> {
  const res = await fetch(`${base}/models/${name}`);
  const body = (await res.json()) as { versions: { meta?: { inference?: PlacementFacts } }[] };
  return body.versions[0].meta!.inference!;
}

/** A full garbage collection (the flag set at run time, the function taken from a fresh context). */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const batchOf = (rows: readonly number[][], n: number) =>
  Array.from({ length: n }, (_, i) => rows[i % rows.length]);

/** The servers' config: `auto` on two threads, batches large enough for the pool, and `more`. */
const poolConfig = (more: Record<string, unknown>) =>
  loadConfig({
    env: {},
    code: { inference: "auto", inferenceThreads: 2, maxBatchSize: 50_000, bodyLimit: 50 * 2 ** 20, ...more },
  });

describe("the inference pool in a server", () => {
  before(async () => {
    const config = poolConfig({
      inferenceTimeoutMs: 0,
      models: [
        { name: "heavy", path: IFOREST, inference: "pool" },
        { name: "forest", path: RF },
        { name: "tree", path: TREE, inference: "inline" },
      ],
    });
    const registry = new ModelRegistry();
    app = appFor(registry, config, silent);
    await startModels(app, config, await prepareModels([...config.models, linear]));
    pool = app.context.pool!;
    await app.fastify.listen({ host: "127.0.0.1", port: 0 });
    const addr = app.fastify.server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await app.fastify.close();
  });

  it("shows where each version runs and why", async () => {
    const heavy = await placement("heavy");
    assert.equal(heavy.mode, "pool");
    assert.equal(heavy.reason, "inference is set to pool");
    assert.equal(heavy.threads, 2);
    assert.equal(heavy.poolFromRows, 1);
    const forest = await placement("forest");
    assert.equal(forest.mode, "pool", forest.reason);
    assert.ok(forest.cost && forest.cost.perRowUs > 0);
    assert.ok(forest.poolFromRows! > 1, "single rows of the auto-placed forest stay inline");
    const tree = await placement("tree");
    assert.deepStrictEqual(tree, { mode: "inline", reason: "inference is set to inline" });
    const ts = await placement(linear.name);
    assert.equal(ts.mode, "inline");
    assert.match(ts.reason, /TypeScript/);
  });

  it("auto: batches of a costly model go to the pool, its single rows stay inline", async () => {
    const { poolFromRows } = await placement("forest");
    const before = pool.stats().calls;
    const one = await post("/models/forest/predict", { features: RF_ROWS[0] });
    assert.equal(one.status, 200);
    assert.equal(pool.stats().calls, before, "a single row ran inline");
    const batch = await post("/models/forest/predict/batch", {
      instances: batchOf(RF_ROWS, poolFromRows! + 10),
    });
    assert.equal(batch.status, 200);
    assert.equal(pool.stats().calls, before + 1, "the batch ran on the pool");
  });

  it("answers single rows of another model while a heavy batch runs on the pool", async () => {
    const before = pool.stats().calls;
    let batchDone = false;
    const batch = post("/models/heavy/predict/batch", { instances: batchOf(IFOREST_ROWS, 40_000) }).then(
      (r) => {
        batchDone = true;
        return r;
      },
    );
    let answered = 0;
    while (!batchDone) {
      const r = await post("/models/tree/predict", { features: IRIS });
      assert.equal(r.status, 200);
      if (!batchDone) answered++;
    }
    const b = await batch;
    assert.equal(b.status, 200);
    assert.equal((b.json.predictions as unknown[]).length, 40_000);
    assert.ok(answered >= 3, `${answered} single rows answered while the batch ran`);
    assert.equal(pool.stats().calls, before + 1);
  });

  it("a crashed thread fails only its call, with MS_INFERENCE_THREAD_FAILED, and is replaced", async () => {
    const replaced = pool.stats().replaced;
    const heavy = post("/models/heavy/predict/batch", { instances: batchOf(IFOREST_ROWS, 40_000) });
    while (pool.stats().busy === 0) await new Promise((r) => setTimeout(r, 1));
    const single = post("/models/heavy/predict", { features: IFOREST_ROWS[0] });
    await pool.stopThread(0);
    const failed = await heavy;
    assert.equal(failed.status, 503);
    assert.equal((failed.json.error as { code: string }).code, "MS_INFERENCE_THREAD_FAILED");
    assert.equal((await single).status, 200, "the other call was not affected");
    assert.equal(pool.stats().replaced, replaced + 1);
    assert.equal(pool.stats().threads, 2);
    // The new thread has every model bound again.
    const again = await Promise.all(
      Array.from({ length: 4 }, () =>
        post("/models/heavy/predict/batch", { instances: batchOf(IFOREST_ROWS, 200) }),
      ),
    );
    assert.deepStrictEqual(
      again.map((r) => r.status),
      [200, 200, 200, 200],
    );
    const held = await pool.held();
    assert.equal(held.length, 2);
    assert.deepStrictEqual(held[0].sort(), held[1].sort());
  });

  it("swaps a pooled model 20 times under load with no failed request, and keeps no binding behind", async () => {
    const registry = app.context.registry;
    const statuses = new Map<number, number>();
    let swapping = true;
    const client = async () => {
      while (swapping) {
        const r = await post("/models/heavy/predict/batch", { instances: batchOf(IFOREST_ROWS, 300) });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 4 }, client);
    let current = "1";
    // The shared arrays of each replaced version, watched without being held.
    const replaced: WeakRef<object>[] = [];
    for (let i = 2; i <= 21; i++) {
      const next = String(i);
      const v = await registry.load("heavy", next, () => loadModel(IFOREST), IFOREST, { inference: "pool" });
      assert.equal(v.state, "ready");
      replaced.push(new WeakRef(registry.get("heavy", current)!.model!.shared!.data as object));
      await registry.unload("heavy", current);
      current = next;
    }
    swapping = false;
    await Promise.all(clients);
    assert.deepStrictEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    assert.ok(statuses.get(200)! >= 20);
    // One binding of "heavy" (the last version) and the forest's, on each thread; nothing of the 20 others.
    assert.equal(pool.stats().models, 2);
    for (const ids of await pool.held()) assert.equal(ids.length, 2, `thread holds ${ids}`);
    // Nothing in this process holds a replaced version's arrays any more, once the drift monitors'
    // periodic sweep (every 30 s in a server) has dropped the versions that are gone.
    app.context.drift?.retain((n, v) => registry.get(n, v) !== undefined);
    // A WeakRef read keeps its target alive until the end of the job: collect first, in a new job, then read.
    const alive = async () => {
      await new Promise((r) => setTimeout(r, 50));
      gc();
      return replaced.filter((r) => r.deref() !== undefined).length;
    };
    let left = await alive();
    for (let i = 0; i < 20 && left > 0; i++) left = await alive();
    assert.equal(left, 0, `${left} of the 20 replaced versions still hold their arrays`);
  });

  it("shows the pool in /metrics", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      "inference_pool_threads 2",
      "inference_pool_busy_threads 0",
      "inference_pool_queue_depth 0",
      "inference_pool_models 2",
      "inference_pool_threads_replaced_total 1",
    ])
      assert.ok(
        text.split("\n").includes(`modelserve_${name}`),
        `${name} in ${text.split("\n").filter((l) => l.includes("pool"))}`,
      );
  });
});

describe("the inference timeout with the pool", () => {
  it("answers MS_INFERENCE_TIMEOUT for a pooled call past inferenceTimeoutMs, and releases the lease once the thread is done", async () => {
    const config = loadConfig({
      env: {},
      code: {
        inferenceThreads: 1,
        maxBatchSize: 50_000,
        bodyLimit: 50 * 2 ** 20,
        inferenceTimeoutMs: 5,
        models: [{ name: "heavy", path: IFOREST, inference: "pool" }],
      },
    });
    const registry = new ModelRegistry();
    const timed = appFor(registry, config, silent);
    await startModels(timed, config, await prepareModels(config.models));
    const res = await timed.fastify.inject({
      method: "POST",
      url: "/models/heavy/predict/batch",
      payload: { instances: batchOf(IFOREST_ROWS, 40_000) },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, "MS_INFERENCE_TIMEOUT");
    // The call still finishes on its thread; the lease goes then.
    while (registry.totalInflight > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(timed.context.pool!.stats().busy, 0);
    await timed.fastify.close();
  });
});

describe("micro-batching with the pool", () => {
  it("runs a micro-batch of concurrent single rows as one pool call, each answer its own row's", async () => {
    const config = loadConfig({
      env: {},
      code: {
        inferenceThreads: 1,
        microBatching: "on",
        models: [{ name: "forest", path: RF, inference: "pool" }],
      },
    });
    const registry = new ModelRegistry();
    const batched = appFor(registry, config, silent);
    await startModels(batched, config, await prepareModels(config.models));
    const inline = await loadModel(RF);
    const pool = batched.context.pool!;
    const before = pool.stats().calls;
    const rows = RF_ROWS.slice(0, 32);
    const answers = await Promise.all(
      rows.map((features) =>
        batched.fastify.inject({ method: "POST", url: "/models/forest/predict", payload: { features } }),
      ),
    );
    const calls = pool.stats().calls - before;
    assert.ok(calls >= 1 && calls < rows.length, `${calls} pool calls for ${rows.length} requests`);
    for (const [i, res] of answers.entries()) {
      assert.equal(res.statusCode, 200);
      const alone = await inline.predict(tableFromRows(inline.signature, [rows[i]]));
      assert.deepStrictEqual(
        res.json().prediction,
        (alone as { values: { data: Float64Array } }).values.data[0],
      );
    }
    await batched.fastify.close();
  });
});

describe("a server whose models are all placed by auto", () => {
  it("starts no pool thread until a costly call, answers that call inline, then sends costly calls to the pool; stops them when idle", async () => {
    const config = poolConfig({ models: [{ name: "forest", path: RF }], inferenceThreadIdleMs: 1500 });
    const lazy = appFor(new ModelRegistry(), config, silent);
    try {
      await startModels(lazy, config, await prepareModels(config.models));
      const threads = async () => {
        const res = await lazy.fastify.inject({ url: "/metrics" });
        return Number(/^modelserve_inference_pool_threads (\d+)$/m.exec(res.body)?.[1]);
      };
      const facts = (await lazy.fastify.inject({ url: "/models/forest" })).json().versions[0].meta.inference;
      assert.equal(facts.mode, "pool", facts.reason);
      const predict = async (rows: number[][]) => {
        const res = await lazy.fastify.inject({
          method: "POST",
          url: "/models/forest/predict/batch",
          payload: { instances: rows },
        });
        assert.equal(res.statusCode, 200, res.body);
        return res.json().predictions as number[];
      };
      const inline = await loadModel(RF);
      const rows = batchOf(RF_ROWS, facts.poolFromRows + 10);
      const out = await inline.predict(tableFromRows(inline.signature, rows));
      assert.equal(out.kind, "values");
      const expected = Array.from(out.values.data);
      assert.deepStrictEqual(await predict(RF_ROWS.slice(0, 1)), expected.slice(0, 1));
      assert.equal(await threads(), 0, "loaded and answering single rows, no thread");
      const pool = lazy.context.pool!;
      assert.deepStrictEqual(await predict(rows), expected);
      assert.equal(pool.stats().calls, 0, "the first costly call ran inline");
      await pool.untilReady();
      assert.equal(await threads(), 2);
      assert.deepStrictEqual(await predict(rows), expected);
      assert.equal(pool.stats().calls, 1);
      // Without a call for inferenceThreadIdleMs the threads stop; the next costly call starts them again.
      const deadline = Date.now() + 15_000;
      while ((await threads()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await threads(), 0);
      const metrics = (await lazy.fastify.inject({ url: "/metrics" })).body;
      assert.match(metrics, /^modelserve_inference_pool_threads_retired_total 1$/m);
      assert.deepStrictEqual(await pool.held(), [], "no thread left");
      assert.deepStrictEqual(await predict(rows), expected);
      assert.equal(pool.stats().calls, 1, "the first costly call after the stop ran inline");
      await pool.untilReady();
      assert.equal(await threads(), 2);
      assert.equal((await pool.held()).length, 2);
      assert.deepStrictEqual(await predict(rows), expected);
      assert.equal(pool.stats().calls, 2);
    } finally {
      await lazy.fastify.close();
    }
  });
});

describe("threads of the pool", () => {
  it("are the key's count, or for auto the usable CPUs shared by the workers, at least 1", () => {
    assert.equal(inferenceThreads({ inferenceThreads: 3, workers: 2 }), 3);
    const cpus = usableCpus();
    assert.equal(inferenceThreads({ inferenceThreads: "auto", workers: 1 }), cpus);
    assert.equal(
      inferenceThreads({ inferenceThreads: "auto", workers: 2 }),
      Math.max(1, Math.floor(cpus / 2)),
    );
    assert.equal(inferenceThreads({ inferenceThreads: "auto", workers: 256 }), 1);
  });
});

describe("shutdown with the pool", () => {
  it("drains: a batch running on the pool when shutdown begins is answered, then the threads stop", async () => {
    const config = loadConfig({
      env: {},
      code: {
        inferenceThreads: 1,
        maxBatchSize: 50_000,
        bodyLimit: 50 * 2 ** 20,
        models: [{ name: "heavy", path: IFOREST, inference: "pool" }],
      },
    });
    const registry = new ModelRegistry();
    const draining = appFor(registry, config, silent);
    await startModels(draining, config, await prepareModels(config.models));
    await draining.fastify.listen({ host: "127.0.0.1", port: 0 });
    const { port } = draining.fastify.server.address() as { port: number };
    const pool = draining.context.pool!;
    const answer = fetch(`http://127.0.0.1:${port}/models/heavy/predict/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: batchOf(IFOREST_ROWS, 40_000) }),
    });
    while (pool.stats().busy === 0) await new Promise((r) => setTimeout(r, 1));
    const closed = closeGracefully(draining, 30_000);
    const res = await answer;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { predictions: unknown[] }).predictions.length, 40_000);
    assert.equal(await closed, true);
    assert.equal(pool.stats().threads, 0);
  });
});
