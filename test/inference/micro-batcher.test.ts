import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AutoPolicy,
  REVISIT_MS,
  SINGLE_CALLS,
  TRIAL_CALLS,
  TRIALS,
  WARM_UP_CALLS,
  WARM_UP_MS,
} from "../../src/inference/batching-policy.ts";
import { CROWD_FROM } from "../../src/inference/crowd-meter.ts";
import { type BatchingOptions, MicroBatcher } from "../../src/inference/micro-batcher.ts";
import { infer } from "../../src/inference/run.ts";
import type { ReadyVersion } from "../../src/inference/version.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel, type Row } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";

// A short warm-up, counted in calls only, for the tests of what comes after it (the default warm-up
// has tests of its own below).
const QUICK = { warmUpCalls: 16, warmUpMs: Number.POSITIVE_INFINITY };
const WARM = QUICK.warmUpCalls;

/** A classifier that records every call's row count; `x < 0` makes a call throw; `gate` holds calls. */
function recordingVersion(opts: { gate?: () => Promise<void>; name?: string } = {}) {
  const name = opts.name ?? "rec";
  const calls: number[] = [];
  const label = (r: Row) => ((r.x as number) > 5 ? "big" : "small");
  const def = defineModel({
    name,
    inputs: { x: "float" },
    classes: ["big", "small"],
    predict: async (rows) => {
      calls.push(rows.length);
      if (rows.some((r) => (r.x as number) < 0)) throw new Error("negative input");
      if (opts.gate) await opts.gate();
      return rows.map(label);
    },
    predictProba: (rows) => rows.map((r) => [(r.x as number) / 10, 1 - (r.x as number) / 10]),
  });
  const registry = new ModelRegistry();
  registry.register(name, "1", loadDefinition(def));
  const lease = registry.acquire(name) as { version: ReadyVersion };
  return { v: lease.version, calls };
}

const opts = (o: Partial<BatchingOptions> = {}): BatchingOptions => ({
  mode: "on",
  maxRows: 64,
  maxWaitUs: 0,
  maxQueued: 0,
  ...o,
});

const tableOf = (v: ReadyVersion, xs: readonly number[]) =>
  v.validator.toTable(
    xs.map((x) => ({ x })),
    "instances",
  );

describe("micro-batcher", () => {
  it("coalesces concurrent requests into one call and answers each with exactly its own rows", async () => {
    const { v, calls } = recordingVersion();
    const seen: { model: string; rows: number; waits: number }[] = [];
    const b = new MicroBatcher(opts(), {
      batch: (model, _version, rows, waits) => seen.push({ model, rows, waits: waits.length }),
    });
    const inputs = [[1], [7, 2], [9], [3, 8, 4]];
    const got = await Promise.all(inputs.map((xs) => b.infer(v, tableOf(v, xs), "predict")));
    assert.deepEqual(calls, [7]);
    assert.deepEqual(seen, [{ model: "rec", rows: 7, waits: 4 }]);
    for (let i = 0; i < inputs.length; i++) {
      const alone = await infer(v, tableOf(v, inputs[i]!), "predict");
      assert.deepStrictEqual(got[i]!.predictions, alone.predictions);
      assert.deepStrictEqual(got[i]!.probabilities, alone.probabilities);
      assert.deepStrictEqual(got[i]!.classes, alone.classes);
    }
    // Each part's model time is its share by rows: the parts add up to the batch's time.
    const share = got.map((r, i) => r.inferenceMs / inputs[i]!.length);
    for (const s of share) assert.ok(Math.abs(s - share[0]!) < 1e-9);
  });

  it("gives a model its own settings (a model entry's), every other model the batcher's", async () => {
    const rec = recordingVersion();
    const own = recordingVersion({ name: "own" });
    const b = new MicroBatcher(opts({ mode: "off" }));
    b.configure("own", { mode: "on", maxRows: 2 });
    await Promise.all([1, 2, 3].map((x) => b.infer(rec.v, tableOf(rec.v, [x]), "predict")));
    assert.deepEqual(rec.calls, [1, 1, 1], "the batcher's mode: off");
    const got = await Promise.all([1, 7, 3].map((x) => b.infer(own.v, tableOf(own.v, [x]), "predict")));
    assert.deepEqual(own.calls, [2, 1], "its own: on, two rows a call");
    assert.deepEqual(
      got.map((r) => r.predictions),
      [["small"], ["big"], ["small"]],
    );
    assert.equal(b.summary().mode, "off");
    assert.deepEqual(b.summary().models, [
      { model: "own", mode: "on", maxRows: 2, maxWaitUs: 0, maxQueued: 0 },
    ]);
    assert.equal(b.optionsOf(rec.v), b.options);

    // Its own queue bound: the second request of a turn is refused, the other model's is not.
    const q = new MicroBatcher(opts());
    q.configure("own", { maxQueued: 1 });
    const [first, second] = await Promise.allSettled(
      [1, 2].map((x) => q.infer(own.v, tableOf(own.v, [x]), "predict")),
    );
    assert.equal(first!.status, "fulfilled");
    assert.ok(second!.status === "rejected" && (second.reason as { code?: string }).code === "MS_OVERLOADED");
    const others = await Promise.allSettled(
      [1, 2].map((x) => q.infer(rec.v, tableOf(rec.v, [x]), "predict")),
    );
    assert.deepEqual(
      others.map((r) => r.status),
      ["fulfilled", "fulfilled"],
    );
  });

  it("keeps the keys of an unbatched answer (predict_proba has no predictions field)", async () => {
    const { v } = recordingVersion();
    const b = new MicroBatcher(opts());
    const got = await Promise.all([1, 2].map((x) => b.infer(v, tableOf(v, [x]), "predict_proba")));
    const alone = await infer(v, tableOf(v, [2]), "predict_proba");
    assert.deepStrictEqual(Object.keys(got[1]!).sort(), Object.keys(alone).sort());
    assert.deepStrictEqual(got[1]!.probabilities, alone.probabilities);
  });

  it("never puts more than maxRows rows in one call; a larger request runs alone", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts({ maxRows: 4 }));
    const inputs = [[1], [2, 3], [4], [5], [6, 7, 8, 9, 1], [2]];
    const got = await Promise.all(inputs.map((xs) => b.infer(v, tableOf(v, xs), "predict")));
    for (const n of calls) assert.ok(n <= 4 || n === 5, `call of ${n} rows`);
    assert.equal(
      calls.reduce((a, c) => a + c, 0),
      11,
    );
    assert.ok(calls.includes(5), "the 5-row request ran in a call of its own");
    for (let i = 0; i < inputs.length; i++)
      assert.deepStrictEqual(
        got[i]!.predictions,
        (await infer(v, tableOf(v, inputs[i]!), "predict")).predictions,
      );
  });

  it("queues arrivals while a batch runs and runs them together next", async () => {
    let open!: () => void;
    let gate: Promise<void> | undefined = new Promise<void>((r) => (open = r));
    const { v, calls } = recordingVersion({ gate: () => gate ?? Promise.resolve() });
    const b = new MicroBatcher(opts());
    const first = b.infer(v, tableOf(v, [1]), "predict");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [1]);
    const later = [2, 3, 4].map((x) => b.infer(v, tableOf(v, [x]), "predict"));
    assert.deepEqual(
      b.states().map((s) => [s.queued, s.inflight]),
      [[3, 1]],
    );
    gate = undefined;
    open();
    await Promise.all([first, ...later]);
    assert.deepEqual(calls, [1, 3]);
    assert.deepEqual(
      b.states().map((s) => [s.queued, s.inflight]),
      [[0, 0]],
    );
  });

  it("waits up to maxWaitUs for company once the lane has seen batches of four or more", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts({ maxWaitUs: 30_000 }));
    const send = (xs: number[]) => Promise.all(xs.map((x) => b.infer(v, tableOf(v, [x]), "predict")));
    // Four together: the next batch waits for company.
    await send([1, 2, 3, 4]);
    const first = send([5, 6]);
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([first, send([7, 8])]);
    assert.deepEqual(calls, [4, 4]);
    // It stops waiting once as many requests as in the last batch have come.
    const t0 = performance.now();
    const slow = new MicroBatcher(opts({ maxWaitUs: 1_000_000 }));
    const sendSlow = (xs: number[]) => Promise.all(xs.map((x) => slow.infer(v, tableOf(v, [x]), "predict")));
    await sendSlow([1, 2, 3, 4]);
    await sendSlow([5, 6, 7, 8]);
    assert.ok(performance.now() - t0 < 500);
    assert.deepEqual(calls, [4, 4, 4, 4]);
    // After a batch of two, a lone request does not wait for its partner (each would wait for the
    // slower client); nor after a lone batch.
    const pair = new MicroBatcher(opts({ maxWaitUs: 1_000_000 }));
    await Promise.all([1, 2].map((x) => pair.infer(v, tableOf(v, [x]), "predict")));
    const t = performance.now();
    await pair.infer(v, tableOf(v, [5]), "predict");
    await pair.infer(v, tableOf(v, [6]), "predict");
    assert.ok(performance.now() - t < 500);
  });

  it("waits for company without spinning the event loop, and ends the wait when the time is up", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts({ maxWaitUs: 900 }));
    const send = (xs: number[]) => Promise.all(xs.map((x) => b.infer(v, tableOf(v, [x]), "predict")));
    await send([1, 2, 3, 4]);
    // The next batch waits for four requests; two come. Turns of the loop while it waits would show as
    // calls to setImmediate (a busy wait burns CPU that other processes and workers share).
    const real = globalThis.setImmediate;
    let turns = 0;
    globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...a: unknown[]) => {
      turns++;
      return real(fn, ...a);
    }) as typeof setImmediate;
    const t0 = performance.now();
    try {
      await send([5, 6]);
    } finally {
      globalThis.setImmediate = real;
    }
    const waited = performance.now() - t0;
    assert.ok(waited >= 0.9, `the batch ran after ${waited} ms, before its wait ended`);
    assert.ok(turns <= 2, `${turns} turns of the event loop while waiting`);
    assert.deepEqual(calls, [4, 2]);
  });

  it("ends a wait as soon as the company it waits for has come, however long the wait may be", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts({ maxWaitUs: 1_000_000 }));
    const send = (xs: number[]) => Promise.all(xs.map((x) => b.infer(v, tableOf(v, [x]), "predict")));
    await send([1, 2, 3, 4]);
    const t0 = performance.now();
    const early = send([5, 6]);
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([early, send([7, 8])]);
    assert.ok(performance.now() - t0 < 500, "the wait went on after the fourth request came");
    assert.deepEqual(calls, [4, 4]);
  });

  it("re-runs a failed batch request by request so only the bad request fails", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts());
    const settled = await Promise.allSettled(
      [[1], [-1], [8]].map((xs) => b.infer(v, tableOf(v, xs), "predict")),
    );
    assert.deepEqual(calls, [3, 1, 1, 1]);
    assert.equal(settled[0]!.status, "fulfilled");
    assert.equal(settled[2]!.status, "fulfilled");
    assert.equal(settled[1]!.status, "rejected");
    assert.match(((settled[1] as PromiseRejectedResult).reason as Error).message, /negative input/);
    assert.deepStrictEqual(
      (settled[2] as PromiseFulfilledResult<{ predictions?: unknown[] }>).value.predictions,
      ["big"],
    );
  });

  it("refuses with MS_OVERLOADED once maxQueued requests wait, and answers every admitted one", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { v } = recordingVersion({ gate: () => gate });
    const b = new MicroBatcher(opts({ maxQueued: 3 }));
    const admitted = [b.infer(v, tableOf(v, [1]), "predict")];
    await new Promise((r) => setImmediate(r)); // the first is running, the next three wait
    for (const x of [2, 3, 4]) admitted.push(b.infer(v, tableOf(v, [x]), "predict"));
    await assert.rejects(b.infer(v, tableOf(v, [5]), "predict"), {
      code: "MS_OVERLOADED",
      statusCode: 503,
      details: { maxQueued: 3, model: "rec" },
    });
    open();
    const answers = await Promise.all(admitted);
    assert.deepStrictEqual(
      answers.map((a) => a.predictions),
      [["small"], ["small"], ["small"], ["small"]],
    );
  });

  it("off mode calls the model once per request", async () => {
    const { v, calls } = recordingVersion();
    const b = new MicroBatcher(opts({ mode: "off" }));
    await Promise.all([1, 2, 3].map((x) => b.infer(v, tableOf(v, [x]), "predict")));
    assert.deepEqual(calls, [1, 1, 1]);
  });

  for (const size of [1, 3])
    it(`auto mode starts unbatched, tries batching on a costly model and keeps it when it pays (${size} row${size > 1 ? "s" : ""} a request)`, async () => {
      const spin = (us: number) => {
        const end = performance.now() + us / 1000;
        while (performance.now() < end);
      };
      const registry = new ModelRegistry();
      const calls: number[] = [];
      registry.register(
        "m",
        "1",
        loadDefinition(
          defineModel({
            name: "m",
            inputs: { x: "float" },
            // Costly per call, cheap per row: what batching is for. The call's cost is large enough that
            // a preempted trial on a busy machine (a few hundred µs lost) still shows batching paying.
            predict: (rows) => {
              calls.push(rows.length);
              spin(2000 + 5 * rows.length);
              return rows.map((r) => r.x as number);
            },
          }),
        ),
      );
      const v = (registry.acquire("m") as { version: ReadyVersion }).version;
      const b = new MicroBatcher(opts({ mode: "auto" }), undefined, QUICK);
      const rows = (x: number) => Array.from({ length: size }, (_, i) => x + i);
      const burst = () => Promise.all([1, 2, 3].map((x) => b.infer(v, tableOf(v, rows(x)), "predict")));
      for (let i = 0; i < WARM + SINGLE_CALLS - 1; i++) await b.infer(v, tableOf(v, rows(i)), "predict");
      await burst();
      assert.deepEqual(calls.slice(-3), [size, size, size], "unbatched until the requests alone are timed");
      for (let i = 0; i < WARM + TRIAL_CALLS; i++) await burst();
      assert.deepEqual(calls.slice(-1), [3 * size], "batched in the trial");
      // A trial spoilt by preemption on a busy machine gets a second one (TRIALS): run it when needed.
      for (let i = 0; b.calibration(v) === undefined && i < (TRIALS - 1) * (WARM + TRIAL_CALLS); i++)
        await burst();
      const c = b.calibration(v);
      assert.equal(c?.reason, "pays", JSON.stringify(c));
      assert.equal(c?.batching, true);
      // A row alone: its request's call over its rows.
      assert.ok(c.singleUs >= 2000 / size && c.singleUs < 4000 / size, String(c.singleUs));
      assert.deepEqual(
        b.summary().calibrated.map((x) => [x.model, x.version, x.reason]),
        [["m", "1", "pays"]],
      );
    });

  it("auto mode batches a cheap model only while its requests arrive crowded, and never waits for company", async () => {
    // A synchronous model: its calls time a few µs even on a busy machine (an async one's time includes
    // the promise's turn, which other tests' work can stretch past the 10 µs that makes a model cheap).
    const calls: number[] = [];
    const registry = new ModelRegistry();
    registry.register(
      "cheap",
      "1",
      loadDefinition(
        defineModel({
          name: "cheap",
          inputs: { x: "float" },
          classes: ["big", "small"],
          predict: (rows) => {
            calls.push(rows.length);
            return rows.map((r) => ((r.x as number) > 5 ? "big" : "small"));
          },
        }),
      ),
    );
    const v = (registry.acquire("cheap") as { version: ReadyVersion }).version;
    // A wait for company would last 10 s. Every single-row time counts as cheap here: on a loaded
    // machine a call of a few µs can time past the 10 µs line (a CI run saw it).
    const b = new MicroBatcher(opts({ mode: "auto", maxWaitUs: 10_000_000 }), undefined, {
      ...QUICK,
      cheapUs: Number.POSITIVE_INFINITY,
    });
    // Each burst arrives in a turn of the loop of its own, as requests read from sockets do.
    const nextTurn = () => new Promise((r) => setImmediate(r));
    const burst = async (n: number) => {
      await nextTurn();
      return Promise.all(Array.from({ length: n }, (_, x) => b.infer(v, tableOf(v, [x]), "predict")));
    };
    const one = (x: number) => burst(1).then(() => x);
    for (let i = 0; i < WARM + SINGLE_CALLS; i++) await one(i);
    assert.equal(b.calibration(v)?.reason, "cheap");
    // One request at a time: each alone.
    for (let i = 0; i < 30; i++) await one(i);
    assert.deepEqual(calls.slice(-30), new Array(30).fill(1));
    // Crowds of three times CROWD_FROM requests in one turn: batched once the crowd is measured.
    for (let i = 0; i < 30; i++) {
      const answers = await burst(CROWD_FROM * 3);
      assert.deepEqual(
        answers.map((a) => a.predictions),
        Array.from({ length: CROWD_FROM * 3 }, (_, x) => [x > 5 ? "big" : "small"]),
      );
    }
    assert.equal(calls.at(-1), CROWD_FROM * 3, "the last crowd ran as one call");
    const crowded = b.summary().calibrated[0]!;
    assert.equal(crowded.crowded, true);
    assert.ok(crowded.requestsPerTurn! > CROWD_FROM, String(crowded.requestsPerTurn));
    // A smaller crowd after those does not wait for the larger one it expects.
    let timer: NodeJS.Timeout | undefined;
    const small = await Promise.race([
      burst(5),
      new Promise<"waited">((r) => {
        timer = setTimeout(() => r("waited"), 3000);
      }),
    ]);
    clearTimeout(timer);
    assert.notEqual(small, "waited", "the crowd of 5 waited for company");
    assert.equal(calls.at(-1), 5);
    // Back to one at a time: unbatched again once the average falls.
    for (let i = 0; i < 60; i++) await one(i);
    assert.deepEqual(calls.slice(-20), new Array(20).fill(1));
    assert.equal(b.summary().calibrated[0]!.crowded, false);
  });
});

describe("auto batching policy", () => {
  const v = () => ({}) as ReadyVersion;
  const paying = (singleUs: number, batchedRowUs: number) => ({
    singleUs,
    batchedRowUs,
    batching: true,
    reason: "pays",
  });

  it("leaves a cheap model unbatched without a trial", () => {
    const p = new AutoPolicy(undefined, undefined, QUICK);
    const m = v();
    for (let i = 0; i < WARM; i++) p.observe(m, 1, 1); // slow first calls are left out
    for (let i = 0; i < SINGLE_CALLS; i++) p.observe(m, 1, 0.003 + (i % 5) * 0.001);
    assert.deepStrictEqual(p.calibration(m), { singleUs: 5, batching: false, reason: "cheap" });
    assert.equal(p.batching(m), false);
  });

  it("ignores multi-row calls while timing single rows, then tries batching", () => {
    const p = new AutoPolicy(undefined, undefined, QUICK);
    const m = v();
    for (let i = 0; i < WARM + SINGLE_CALLS - 1; i++) p.observe(m, 1, 0.02);
    p.observe(m, 100, 0.5);
    assert.equal(p.batching(m), false);
    p.observe(m, 1, 0.02);
    assert.equal(p.batching(m), true);
    assert.equal(p.calibration(m), undefined);
  });

  it("keeps batching when a row costs clearly less in a batch, and turns it off for good when not", () => {
    const decided: string[] = [];
    const p = new AutoPolicy((_v, c) => decided.push(c.reason), undefined, QUICK);
    const pays = v();
    const flat = v();
    for (const m of [pays, flat]) for (let i = 0; i < WARM + SINGLE_CALLS; i++) p.observe(m, 1, 0.02);
    for (let i = 0; i < WARM; i++) {
      p.observe(pays, 10, 10); // a cold batch path: left out
      p.observe(flat, 10, 0.001);
    }
    for (let i = 0; i < TRIAL_CALLS; i++) {
      p.observe(pays, 1, 0.02); // single-row calls during the trial do not count
      p.observe(pays, 10, 0.125); // 12.5 µs a row against 20 alone
      p.observe(flat, 10, 0.19); // 19 µs a row: not enough
    }
    // One failed trial is not enough to turn batching off: a second one runs.
    assert.equal(p.calibration(flat), undefined);
    assert.equal(p.batching(flat), true);
    assert.equal(TRIALS, 2);
    for (let i = 0; i < WARM + TRIAL_CALLS; i++) p.observe(flat, 10, 0.19);
    assert.deepStrictEqual(p.calibration(pays), {
      singleUs: 20,
      batchedRowUs: 12.5,
      batching: true,
      reason: "pays",
    });
    assert.equal(p.calibration(flat)?.reason, "does-not-pay");
    assert.equal(p.batching(flat), false);
    assert.deepEqual(decided, ["pays", "does-not-pay"]);
    for (let i = 0; i < 100; i++) p.observe(flat, 10, 0.01);
    assert.equal(p.batching(flat), false);
  });

  it("times single rows only once the JIT had WARM_UP_CALLS calls to optimise the code", () => {
    // As a forest's single rows time on live traffic: tens of µs while the code is cold, a few once warm.
    const p = new AutoPolicy();
    const m = v();
    for (let i = 0; i < WARM_UP_CALLS; i++) p.observe(m, 1, i < 64 ? 0.03 : 0.009);
    assert.ok(64 * 0.03 + (WARM_UP_CALLS - 64) * 0.009 < WARM_UP_MS, "the calls' time alone does not end it");
    assert.equal(p.batching(m), false);
    for (let i = 0; i < SINGLE_CALLS - 1; i++) p.observe(m, 1, 0.003 + (i % 5) * 0.001);
    assert.equal(p.calibration(m), undefined, "one call short");
    p.observe(m, 1, 0.004);
    assert.deepStrictEqual(p.calibration(m), { singleUs: 5, batching: false, reason: "cheap" });
  });

  it("ends the warm-up of a costly model once its calls took WARM_UP_MS, not after thousands of calls", () => {
    const p = new AutoPolicy();
    const m = v();
    const perCall = 2; // ms
    const warm = Math.ceil(WARM_UP_MS / perCall);
    assert.ok(warm < WARM_UP_CALLS);
    for (let i = 0; i < warm + SINGLE_CALLS - 1; i++) p.observe(m, 1, perCall);
    assert.equal(p.batching(m), false);
    p.observe(m, 1, perCall);
    assert.equal(p.batching(m), true, "in its trial");
    // The trial's batched calls warm up the same way: 25 batches of 2 ms left out, then 96 timed.
    for (let i = 0; i < warm; i++) p.observe(m, 8, perCall); // left out, whatever they cost
    for (let i = 0; i < TRIAL_CALLS; i++) p.observe(m, 8, 8); // 1 ms a row against 2 alone
    assert.deepStrictEqual(p.calibration(m), paying(2000, 1000));
  });

  it("times requests of several rows alone by their rows, and only joined calls in the trial", () => {
    const p = new AutoPolicy(undefined, undefined, QUICK);
    const m = v();
    for (let i = 0; i < WARM + SINGLE_CALLS; i++) p.observe(m, 4, 0.08, false); // 80 µs a call: not cheap
    assert.equal(p.batching(m), true, "in its trial");
    for (let i = 0; i < WARM + TRIAL_CALLS; i++) {
      p.observe(m, 4, 0.08, false); // a request alone during the trial does not count
      p.observe(m, 32, 0.25, true); // 7.8125 µs a row joined (exact in binary), against 20 alone
    }
    assert.deepStrictEqual(p.calibration(m), paying(20, 7.8125));
  });

  it("batches a version that does not pay only when crowded, and only if joining costs a row nothing", () => {
    const p = new AutoPolicy(undefined, undefined, QUICK);
    const [cheap, even, worse, pays] = [v(), v(), v(), v()];
    const alone = (m: ReadyVersion, ms: number) => {
      for (let i = 0; i < WARM + SINGLE_CALLS; i++) p.observe(m, 1, ms);
    };
    const joined = (m: ReadyVersion, ms: number) => {
      for (let i = 0; i < TRIALS * (WARM + TRIAL_CALLS); i++) p.observe(m, 8, ms);
    };
    alone(cheap, 0.002);
    for (const m of [even, worse, pays]) alone(m, 0.02);
    joined(even, 8 * 0.019); // 19 µs a row joined against 20 alone: not 0.8×, but no dearer
    joined(worse, 8 * 0.025); // 25 µs a row joined: dearer
    joined(pays, 8 * 0.01);
    assert.deepEqual(
      [cheap, even, worse, pays].map((m) => [p.calibration(m)?.reason, p.crowdOnly(m), p.batching(m)]),
      [
        ["cheap", true, false],
        ["does-not-pay", true, false],
        ["does-not-pay", false, false],
        ["pays", false, true],
      ],
    );
  });

  it("measures a version again once its decision is REVISIT_MS old", () => {
    let now = 0;
    const p = new AutoPolicy(undefined, () => now, QUICK);
    const m = v();
    for (let i = 0; i < WARM + SINGLE_CALLS; i++) p.observe(m, 1, 0.001);
    assert.equal(p.calibration(m)?.reason, "cheap");
    now = REVISIT_MS - 1;
    p.observe(m, 1, 0.05);
    assert.equal(p.calibration(m)?.reason, "cheap");
    now = REVISIT_MS;
    for (let i = 0; i < WARM + SINGLE_CALLS; i++) p.observe(m, 1, 0.05);
    assert.equal(p.calibration(m), undefined, "in its trial");
    assert.equal(p.batching(m), true);
  });
});
