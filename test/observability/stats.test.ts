/** @module Tests of `/stats`: per-version counts, window percentiles, class counts, bounded memory. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { LatencyWindow, WINDOW } from "../../src/observability/stats.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

test("/stats reports requests, errors, percentiles, throughput and predicted classes per version", async () => {
  const { fastify } = makeApp();
  const first = JSON.parse(
    (await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).body,
  );
  for (let i = 0; i < 4; i++) await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
  const bad = await fastify.inject({ method: "POST", url: "/predict", payload: { sepal_length: "x" } });
  assert.equal(bad.statusCode, 422);
  const res = await fastify.inject({ method: "GET", url: "/stats" });
  assert.equal(res.statusCode, 200);
  const body = JSON.parse(res.body);
  assert.equal(typeof body.uptimeSeconds, "number");
  const s = body.models.find((m: { model: string }) => m.model === first.model);
  assert.equal(s.version, first.version);
  assert.equal(s.requests, 6);
  assert.equal(s.errors, 1);
  assert.equal(s.lastError.status, 422);
  assert.equal(s.latencyMs.window, 6);
  assert.ok(s.latencyMs.p50 > 0 && s.latencyMs.p50 <= s.latencyMs.p95 && s.latencyMs.p95 <= s.latencyMs.p99);
  assert.deepEqual(s.predictions, { [String(first.prediction)]: 5 });
  await fastify.close();
});

test("window percentiles are the nearest-rank percentiles of the last WINDOW latencies", () => {
  const w = new LatencyWindow();
  // 1..100 ms: p50 = 50, p95 = 95, p99 = 99 by nearest rank.
  for (let i = 1; i <= 100; i++) w.push(i, 1000 + i);
  assert.deepEqual(w.percentiles([0.5, 0.95, 0.99]), [50, 95, 99]);
  // Older values leave the window: after WINDOW values of 7 ms only 7 remains.
  for (let i = 0; i < WINDOW; i++) w.push(7, 2000 + i);
  assert.deepEqual(w.percentiles([0.5, 0.99]), [7, 7]);
  assert.equal(w.size, WINDOW);
});

test("memory stays flat: 1 000 000 observations keep the same window and series", async () => {
  const { context } = makeApp();
  const metrics = context.metrics!;
  const obs = {
    route: "/predict",
    model: "m",
    version: "1",
    status: 200,
    seconds: 0.001,
    inferenceMs: 0.1,
    rows: 1,
  };
  // A real collection before each reading (node --test runs without --expose-gc): otherwise garbage
  // that an earlier test left decides the figure.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let i = 0; i < 10_000; i++) metrics.observe(obs);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) metrics.observe(obs);
  gc();
  const after = process.memoryUsage().heapUsed;
  const s = metrics.stats(Date.now()).models as { requests: number; latencyMs: { window: number } }[];
  assert.equal(s[0]!.requests, 1_010_000);
  assert.equal(s[0]!.latencyMs.window, WINDOW);
  // Garbage between gc runs can stay; a growing array would hold >= 8 MB for a million numbers.
  assert.ok(after - before < 8 * 1024 * 1024, `heap grew by ${after - before} bytes`);
});
