import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { type App, buildApp } from "../../src/server/app.ts";
import { seeded, silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";

const IRIS_RF = new URL("../../examples/iris/models/random_forest.joblib", import.meta.url).pathname;
const RF_REG = new URL("../fixtures/sklearn/1.9.1/trees-rf-reg/model.joblib", import.meta.url).pathname;
const RF_REG_INPUTS = JSON.parse(
  readFileSync(new URL("../fixtures/sklearn/1.9.1/trees-rf-reg/inputs.json", import.meta.url), "utf8"),
) as number[][];

const N = 3000;
const IRIS_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

/** N distinct rows: iris-like measurements, and the regressor's inputs jittered. */
function rows_(): { iris: number[][]; reg: number[][] } {
  const r = seeded(15);
  const iris = Array.from({ length: N }, () => [4 + 4 * r(), 2 + 2.5 * r(), 1 + 6 * r(), 0.1 + 2.5 * r()]);
  const reg = Array.from({ length: N }, (_, i) =>
    RF_REG_INPUTS[i % RF_REG_INPUTS.length]!.map((x) => x + (r() - 0.5) * 0.05),
  );
  return { iris, reg };
}

async function registryOf(): Promise<ModelRegistry> {
  const registry = new ModelRegistry();
  registry.register("iris", "1", await loadModel(IRIS_RF), IRIS_RF);
  registry.register("reg", "1", await loadModel(RF_REG), RF_REG);
  return registry;
}

/** POSTs JSON over a keep-alive agent; resolves status, headers and parsed body. */
function post(
  port: number,
  agent: Agent,
  path: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          data += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(data) }),
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(text);
  });
}

const metricValue = (text: string, line: RegExp, absent?: number): number => {
  const m = line.exec(text);
  if (m === null && absent !== undefined) return absent;
  assert.ok(m, `no metric line matches ${line}`);
  return Number(m[1]);
};

describe("micro-batching through a real server", () => {
  let batched: App;
  let reference: App;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const data = rows_();

  before(async () => {
    batched = buildApp(await registryOf(), {
      logger: silent,
      microBatching: "on",
      microBatchMaxRows: 64,
      microBatchMaxWaitUs: 200,
      maxQueued: 0,
    });
    reference = buildApp(await registryOf(), { logger: silent, microBatching: "off" });
    await batched.fastify.listen({ host: "127.0.0.1", port: 0 });
    port = (batched.fastify.server.address() as AddressInfo).port;
  });
  after(async () => {
    agent.destroy();
    await batched.fastify.close();
    await reference.fastify.close();
  });

  for (const [model, route, key] of [
    ["iris", "predict", "iris"],
    ["iris", "predict_proba", "iris"],
    ["reg", "predict", "reg"],
  ] as const) {
    it(`answers ${N} concurrent distinct ${model} rows (${route}) exactly as the model does one row at a time`, async () => {
      const path = `/models/${model}/${route}`;
      const input = data[key];
      // The model's own answer for each row, one request (one model call) at a time.
      const expected = [];
      for (const features of input) {
        const res = await reference.fastify.inject({ method: "POST", url: path, payload: { features } });
        assert.equal(res.statusCode, 200, res.body);
        expected.push(res.json());
      }
      const before = await batched.fastify.inject({ method: "GET", url: "/metrics" });
      const calls0 = metricValue(
        before.body,
        new RegExp(`model_batch_rows_count\\{model="${model}",version="1"\\} (\\d+)`),
        0,
      );
      const answers = await Promise.all(input.map((features) => post(port, agent, path, { features })));
      for (let i = 0; i < N; i++) {
        assert.equal(answers[i]!.status, 200);
        assert.deepStrictEqual(answers[i]!.json, expected[i], `row ${i}`);
      }
      // It really batched: far fewer model calls than requests.
      const text = (await batched.fastify.inject({ method: "GET", url: "/metrics" })).body;
      const calls =
        metricValue(text, new RegExp(`model_batch_rows_count\\{model="${model}",version="1"\\} (\\d+)`)) -
        calls0;
      assert.ok(calls < N / 2, `${calls} model calls for ${N} requests`);
    });
  }

  it("exposes the queue gauges and histograms in /metrics after traffic", async () => {
    const text = (await batched.fastify.inject({ method: "GET", url: "/metrics" })).body;
    assert.equal(metricValue(text, /^modelserve_model_queue_depth\{model="iris",version="1"\} (\d+)$/m), 0);
    assert.equal(
      metricValue(text, /^modelserve_model_inflight_requests\{model="iris",version="1"\} (\d+)$/m),
      0,
    );
    assert.match(text, /^# TYPE modelserve_model_batch_rows histogram$/m);
    assert.match(text, /^# TYPE modelserve_model_queue_wait_seconds histogram$/m);
    assert.equal(
      metricValue(text, /^modelserve_model_queue_wait_seconds_count\{model="iris",version="1"\} (\d+)$/m),
      2 * N,
    );
    // Some calls held more than one row.
    const single = metricValue(
      text,
      /^modelserve_model_batch_rows_bucket\{model="iris",version="1",le="1"\} (\d+)$/m,
    );
    const all = metricValue(text, /^modelserve_model_batch_rows_count\{model="iris",version="1"\} (\d+)$/m);
    assert.ok(all - single > 0);
  });
});

/** A model whose calls wait until the test opens the gate. */
function gatedApp(options: Parameters<typeof buildApp>[1]) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const calls: number[] = [];
  const registry = new ModelRegistry();
  registry.register(
    "slow",
    "1",
    loadDefinition(
      defineModel({
        name: "slow",
        inputs: { x: "float" },
        predict: async (rows) => {
          calls.push(rows.length);
          await gate;
          return rows.map((r) => 3 * (r.x as number));
        },
      }),
    ),
  );
  return { app: buildApp(registry, { logger: silent, ...options }), open, calls, registry };
}

describe("backpressure", () => {
  it("refuses with 503 MS_OVERLOADED + Retry-After once the queue is full, and answers every admitted request", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const { app, open, calls } = gatedApp({
      microBatching: "on",
      maxQueued: 5,
      microBatchMaxWaitUs: 0,
      logger: pino({ level: "info" }, sink),
    });
    const send = (x: number) =>
      app.fastify.inject({ method: "POST", url: "/models/slow/predict", payload: { x } });
    const first = send(0);
    // The first request's call is running (held by the gate); the next ones queue behind it.
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 20 }, (_, i) => send(i + 1));
    const answers = await Promise.race([
      Promise.all(rest.map(async (p) => (await p).statusCode === 503 && (await p))),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 200)),
    ]);
    // The refused answer at once, while the admitted wait.
    assert.equal(answers, undefined);
    open();
    const all = await Promise.all([first, ...rest]);
    const refused = all.filter((r) => r.statusCode === 503);
    const served = all.filter((r) => r.statusCode === 200);
    assert.equal(served.length, 6);
    assert.equal(refused.length, 15);
    for (const r of refused) {
      assert.equal(r.json().error.code, "MS_OVERLOADED");
      assert.equal(r.headers["retry-after"], "1");
      assert.deepEqual(r.json().error.details, { maxQueued: 5, model: "slow" });
    }
    // Every admitted request got its own answer.
    const xs = [0, 1, 2, 3, 4, 5];
    assert.deepStrictEqual(
      served.map((r) => r.json().prediction),
      xs.map((x) => 3 * x),
    );
    assert.deepEqual(calls, [1, 5]);
    await app.fastify.close();
    // 15 refusals, one log line (this file's first refusals): a warning without a stack, no "server error".
    const refusalLines = lines.filter((l) => l.msg === "request refused");
    assert.equal(refusalLines.length, 1);
    assert.equal(refusalLines[0]!.level, 40);
    assert.equal(refusalLines[0]!.code, "MS_OVERLOADED");
    assert.equal("err" in refusalLines[0]!, false);
    assert.deepEqual(
      lines.filter((l) => l.msg === "server error"),
      [],
    );
  });

  it("times out per request and releases each lease exactly once, when the batch really ends", async () => {
    const { app, open, calls, registry } = gatedApp({
      microBatching: "on",
      maxQueued: 0,
      inferenceTimeoutMs: 50,
    });
    const send = (x: number) =>
      app.fastify.inject({ method: "POST", url: "/models/slow/predict", payload: { x } });
    const answers = await Promise.all([1, 2, 3].map(send));
    for (const r of answers) {
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().error.code, "MS_INFERENCE_TIMEOUT");
    }
    assert.deepEqual(calls, [3]);
    // The model still runs: its leases are held until it ends.
    assert.equal(registry.totalInflight, 3);
    open();
    while (registry.totalInflight > 0) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(registry.totalInflight, 0);
    const ok = await send(7);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().prediction, 21);
    assert.equal(registry.totalInflight, 0);
    await app.fastify.close();
  });

  it("fails only the request whose rows make the model throw", async () => {
    const registry = new ModelRegistry();
    registry.register(
      "picky",
      "1",
      loadDefinition(
        defineModel({
          name: "picky",
          inputs: { x: "float" },
          predict: async (rows) => {
            await new Promise((r) => setTimeout(r, 5));
            if (rows.some((r) => r.x === 13)) throw new Error("unlucky");
            return rows.map((r) => r.x as number);
          },
        }),
      ),
    );
    const app = buildApp(registry, { logger: silent, microBatching: "on" });
    const xs = [1, 2, 13, 4, 5];
    const answers = await Promise.all(
      xs.map((x) => app.fastify.inject({ method: "POST", url: "/models/picky/predict", payload: { x } })),
    );
    assert.deepStrictEqual(
      answers.map((r) => r.statusCode),
      [200, 200, 500, 200, 200],
    );
    assert.equal(answers[2]!.json().error.code, "MS_INFERENCE_FAILED");
    assert.deepStrictEqual(
      answers.filter((_, i) => i !== 2).map((r) => r.json().prediction),
      [1, 2, 4, 5],
    );
    assert.equal(registry.totalInflight, 0);
    await app.fastify.close();
  });
});

describe("observation stays per request under batching", () => {
  it("counts, times and audits each request of a batch as its own", async () => {
    const target = join(tempDir("batching-audit"), "audit.jsonl");
    const registry = await registryOf();
    const app = buildApp(registry, {
      logger: silent,
      microBatching: "on",
      audit: { target, sample: 1 },
    });
    const rows = rows_().iris.slice(0, 40);
    const answers = await Promise.all(
      rows.map((features) =>
        app.fastify.inject({ method: "POST", url: "/models/iris/predict", payload: { features } }),
      ),
    );
    for (const a of answers) assert.equal(a.statusCode, 200);
    const text = (await app.fastify.inject({ method: "GET", url: "/metrics" })).body;
    const labels = 'model="iris",version="1"';
    assert.equal(
      metricValue(
        text,
        new RegExp(
          `^modelserve_http_requests_total\\{${labels},route="/models/:name/predict",status="200"\\} (\\d+)$`,
          "m",
        ),
      ),
      40,
    );
    // Per request: rows per request and model time per request…
    assert.equal(
      metricValue(text, new RegExp(`^modelserve_batch_size_rows_count\\{${labels}\\} (\\d+)$`, "m")),
      40,
    );
    assert.equal(
      metricValue(text, new RegExp(`^modelserve_batch_size_rows_sum\\{${labels}\\} (\\d+)$`, "m")),
      40,
    );
    assert.equal(
      metricValue(
        text,
        new RegExp(`^modelserve_inference_duration_seconds_count\\{${labels}\\} (\\d+)$`, "m"),
      ),
      40,
    );
    // …while the model ran fewer, larger calls.
    const calls = metricValue(
      text,
      new RegExp(`^modelserve_model_batch_rows_count\\{${labels}\\} (\\d+)$`, "m"),
    );
    assert.ok(calls < 40, `${calls} model calls`);
    await app.fastify.close();
    // One audit line per request, holding that request's own row and answer.
    const lines = readFileSync(target, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 40);
    const byId = new Map(
      answers.map((a, i) => [a.headers["x-request-id"], { row: rows[i]!, answer: a.json() }]),
    );
    for (const line of lines) {
      const mine = byId.get(line.reqId);
      assert.ok(mine, `audit line of an unknown request ${line.reqId}`);
      assert.deepStrictEqual(line.inputs, [Object.fromEntries(IRIS_NAMES.map((n, j) => [n, mine.row[j]]))]);
      assert.deepStrictEqual(line.predictions, [mine.answer.prediction]);
      assert.deepStrictEqual(line.probabilities, [mine.answer.probabilities]);
    }
  });
});

describe("the Open Inference Protocol front end", () => {
  it("batches concurrent V2 REST requests and answers each exactly as alone", async () => {
    const batched = buildApp(await registryOf(), { logger: silent, microBatching: "on" });
    const alone = buildApp(await registryOf(), { logger: silent, microBatching: "off" });
    const rows = rows_().iris.slice(100, 140);
    const body = (row: number[], i: number) => ({
      id: `r${i}`,
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP64", data: row }],
    });
    const expected = [];
    for (let i = 0; i < rows.length; i++) {
      const r = await alone.fastify.inject({
        method: "POST",
        url: "/v2/models/iris/infer",
        payload: body(rows[i]!, i),
      });
      assert.equal(r.statusCode, 200, r.body);
      expected.push(r.json());
    }
    const got = await Promise.all(
      rows.map((row, i) =>
        batched.fastify.inject({ method: "POST", url: "/v2/models/iris/infer", payload: body(row, i) }),
      ),
    );
    for (let i = 0; i < rows.length; i++) assert.deepStrictEqual(got[i]!.json(), expected[i]);
    const text = (await batched.fastify.inject({ method: "GET", url: "/metrics" })).body;
    const calls = metricValue(text, /^modelserve_model_batch_rows_count\{model="iris",version="1"\} (\d+)$/m);
    assert.ok(calls < rows.length, `${calls} model calls for ${rows.length} requests`);
    await batched.fastify.close();
    await alone.fastify.close();
  });
});
