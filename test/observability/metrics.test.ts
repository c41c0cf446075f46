/** @module Tests of the Prometheus `/metrics` endpoint: series per model, bounded labels, error codes. */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { IRIS_ROW, LINEAR_ROW, makeApp } from "../helpers.ts";

/** Value of one sample line `name{labels} value` in the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.lastIndexOf("}"));
    const ok = Object.entries(labels).every(([k, v]) => inner.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

test("/metrics counts requests, latency, inference, batch sizes and classes per model", async () => {
  const { fastify } = makeApp();
  for (let i = 0; i < 3; i++) {
    const r = await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
    assert.equal(r.statusCode, 200);
  }
  const batch = await fastify.inject({
    method: "POST",
    url: "/models/linear/predict/batch",
    payload: { instances: [LINEAR_ROW, LINEAR_ROW] },
  });
  assert.equal(batch.statusCode, 200);
  const res = await fastify.inject({ method: "GET", url: "/metrics" });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  const iris = JSON.parse(
    (await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).body,
  );
  const irisLabels = { model: iris.model, version: iris.version, route: "/predict", status: "200" };
  assert.equal(sample(text, "modelserve_http_requests_total", irisLabels), 3);
  assert.equal(
    sample(text, "modelserve_http_request_duration_seconds_count", { model: iris.model, route: "/predict" }),
    3,
  );
  assert.equal(sample(text, "modelserve_inference_duration_seconds_count", { model: iris.model }), 3);
  assert.equal(
    sample(text, "modelserve_predictions_total", { model: iris.model, class: iris.prediction }),
    3,
  );
  // The regressor's batch: one observation of 2 rows, and no class series.
  assert.equal(sample(text, "modelserve_batch_size_rows_sum", { model: "linear" }), 2);
  assert.equal(sample(text, "modelserve_predictions_total", { model: "linear" }), undefined);
  // Process and event-loop metrics.
  assert.ok(
    sample(text, "modelserve_nodejs_eventloop_lag_seconds", {}) !== undefined ||
      /modelserve_nodejs_eventloop_lag_seconds \d/.test(text),
  );
  await fastify.close();
});

test("unknown model names create no series; error codes are counted", async () => {
  const { fastify } = makeApp();
  for (const name of ["nope-1", "nope-2", "nope-3"]) {
    const r = await fastify.inject({ method: "POST", url: `/models/${name}/predict`, payload: IRIS_ROW });
    assert.equal(r.statusCode, 404);
  }
  const bad = await fastify.inject({ method: "POST", url: "/predict", payload: { sepal_length: "x" } });
  assert.equal(bad.statusCode, 422);
  const text = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
  assert.ok(!text.includes("nope-"), "an unknown model name leaked into a label");
  assert.equal(
    sample(text, "modelserve_http_requests_total", {
      model: "",
      route: "/models/:name/predict",
      status: "404",
    }),
    3,
  );
  assert.equal(sample(text, "modelserve_errors_total", { code: "MS_MODEL_NOT_FOUND" }), 3);
  const codes = [...text.matchAll(/modelserve_errors_total\{code="([^"]+)"\}/g)].map((m) => m[1]);
  assert.ok(codes.length >= 2, `expected the validation error counted too, got ${codes.join(",")}`);
  await fastify.close();
});

test("metrics can be turned off", async () => {
  const { fastify } = makeApp({ metrics: false });
  const r = await fastify.inject({ method: "GET", url: "/metrics" });
  assert.equal(r.statusCode, 404);
  await fastify.close();
});

test("/metrics has regression outputs, model states, load facts, defaults and shadow counters", async () => {
  const { fastify, context } = makeApp();
  // linear: y = 2a + b, so these rows predict 3, 3 and -20.
  const rows = [LINEAR_ROW, LINEAR_ROW, { ...LINEAR_ROW, a: -10 }];
  const r = await fastify.inject({
    method: "POST",
    url: "/models/linear/predict/batch",
    payload: { instances: rows },
  });
  assert.deepEqual(r.json().predictions, [3, 3, -20]);
  // A shadow of the heuristic by itself under another version: every row agrees.
  const heuristic = context.registry.resolve("heuristic");
  context.registry.register("heuristic", "shadow", heuristic.model, "code");
  context.registry.setDefaultVersion("heuristic", heuristic.version);
  context.registry.setShadow("heuristic", "shadow");
  for (let i = 0; i < 4; i++)
    await fastify.inject({ method: "POST", url: "/models/heuristic/predict", payload: IRIS_ROW });
  while (context.shadows.pending > 0) await new Promise((res) => setTimeout(res, 5));
  const text = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
  const lin = { model: "linear", version: "2" };
  assert.equal(sample(text, "modelserve_prediction_value_count", lin), 3);
  assert.equal(sample(text, "modelserve_prediction_value_sum", lin), -14);
  assert.equal(sample(text, "modelserve_prediction_value_bucket", { ...lin, le: "-10" }), 1);
  assert.equal(sample(text, "modelserve_prediction_value_bucket", { ...lin, le: "1" }), 1);
  assert.equal(sample(text, "modelserve_prediction_value_bucket", { ...lin, le: "10" }), 3);
  assert.equal(sample(text, "modelserve_model_state", { ...lin, state: "ready" }), 1);
  assert.equal(sample(text, "modelserve_model_state", { ...lin, state: "failed" }), 0);
  assert.equal(sample(text, "modelserve_model_default", lin), 1);
  assert.equal(sample(text, "modelserve_model_default", { model: "heuristic", version: "shadow" }), 0);
  assert.ok(sample(text, "modelserve_model_load_duration_seconds", lin)! >= 0);
  assert.equal(sample(text, "modelserve_model_size_bytes", lin), 0);
  assert.equal(
    sample(text, "modelserve_shadow_rows_total", { model: "heuristic", shadow_version: "shadow" }),
    4,
  );
  assert.equal(
    sample(text, "modelserve_shadow_disagreements_total", { model: "heuristic", shadow_version: "shadow" }),
    0,
  );
  // A classifier gets no output histogram.
  assert.equal(sample(text, "modelserve_prediction_value_count", { model: "heuristic" }), undefined);
});

test("requests in interleaved series are each counted in their own series", async () => {
  const { ServiceMetrics } = await import("../../src/observability/metrics.ts");
  // Each request differs from the one before in one label: a series reused from the request before
  // must match all four.
  const kinds = [
    { model: "a", version: "1", route: "/predict", status: 200 },
    { model: "a", version: "1", route: "/predict", status: 422 },
    { model: "a", version: "2", route: "/predict", status: 422 },
    { model: "b", version: "2", route: "/predict", status: 422 },
    { model: "b", version: "2", route: "/predict/batch", status: 422 },
  ];
  const lineOf = (text: string, k: (typeof kinds)[number]) =>
    text
      .split("\n")
      .find((l) =>
        l.startsWith(
          `modelserve_http_requests_total{model="${k.model}",version="${k.version}",route="${k.route}",status="${k.status}"}`,
        ),
      );
  for (let i = 0; i + 1 < kinds.length; i++) {
    const metrics = new ServiceMetrics({ processMetrics: false });
    for (const k of [kinds[i]!, kinds[i + 1]!, kinds[i + 1]!, kinds[i]!])
      metrics.observe({ ...k, seconds: 0.001 });
    const text = await metrics.render();
    assert.equal(lineOf(text, kinds[i]!)?.split(" ").at(-1), "2", JSON.stringify(kinds[i]));
    assert.equal(
      lineOf(text, kinds[i + 1]!)
        ?.split(" ")
        .at(-1),
      "2",
      JSON.stringify(kinds[i + 1]),
    );
  }
});

test("prom-client is imported at the first scrape, not before; its process metrics come with it", () => {
  // A fresh process: this file's other tests may have imported prom-client already. CommonJS modules
  // imported from ES modules are in require.cache, which tells whether prom-client was loaded.
  const metricsModule = new URL("../../src/observability/metrics.ts", import.meta.url).href;
  const code = `
    import { createRequire } from "node:module";
    const { ServiceMetrics } = await import(${JSON.stringify(metricsModule)});
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("/prom-client/"));
    const metrics = new ServiceMetrics();
    metrics.observe({ route: "/predict", model: "m", version: "1", status: 200, seconds: 0.001 });
    const before = loaded();
    const off = await new ServiceMetrics({ processMetrics: false }).render();
    const afterOff = loaded();
    const text = await metrics.render();
    const again = await metrics.render();
    console.log(JSON.stringify({ before, afterOff, after: loaded(), off, text, again }));
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout) as {
    before: boolean;
    afterOff: boolean;
    after: boolean;
    off: string;
    text: string;
    again: string;
  };
  assert.equal(r.before, false);
  assert.equal(r.afterOff, false, "metrics without process metrics never import prom-client");
  assert.equal(r.after, true);
  assert.doesNotMatch(r.off, /modelserve_process_|modelserve_nodejs_/);
  for (const text of [r.text, r.again]) {
    assert.match(text, /^modelserve_process_cpu_user_seconds_total \d/m);
    assert.match(text, /^modelserve_process_resident_memory_bytes \d/m);
    assert.match(text, /^modelserve_nodejs_eventloop_lag_seconds \d/m);
    // One registry: each process metric is declared once.
    assert.equal(text.match(/^# TYPE modelserve_process_cpu_user_seconds_total /gm)?.length, 1);
    assert.equal(sample(text, "modelserve_http_requests_total", { model: "m", status: "200" }), 1);
  }
});
