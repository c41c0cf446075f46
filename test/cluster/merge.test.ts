import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeExpositions } from "../../src/observability/merge-exposition.ts";
import { ServiceMetrics } from "../../src/observability/metrics.ts";
import { mergeStats } from "../../src/observability/stats.ts";

describe("mergeExpositions", () => {
  it("sums counters and histograms, keeps gauges per worker", () => {
    const a = [
      "# HELP x_requests_total Requests",
      "# TYPE x_requests_total counter",
      'x_requests_total{route="/p",status="200"} 3',
      "# HELP x_latency_seconds Latency",
      "# TYPE x_latency_seconds histogram",
      'x_latency_seconds_bucket{le="0.1"} 2',
      'x_latency_seconds_bucket{le="+Inf"} 3',
      "x_latency_seconds_sum 0.25",
      "x_latency_seconds_count 3",
      "# HELP x_rss_bytes Memory",
      "# TYPE x_rss_bytes gauge",
      "x_rss_bytes 100",
      'x_state{model="m"} 1',
      "",
    ].join("\n");
    const b = a.replace("} 3\n#", "} 4\n#").replace("x_rss_bytes 100", "x_rss_bytes 120");
    const merged = mergeExpositions([
      { worker: 1, text: a },
      { worker: 2, text: b },
    ]);
    assert.equal(
      merged,
      [
        "# HELP x_requests_total Requests",
        "# TYPE x_requests_total counter",
        'x_requests_total{route="/p",status="200"} 7',
        "# HELP x_latency_seconds Latency",
        "# TYPE x_latency_seconds histogram",
        'x_latency_seconds_bucket{le="0.1"} 4',
        'x_latency_seconds_bucket{le="+Inf"} 6',
        "x_latency_seconds_sum 0.5",
        "x_latency_seconds_count 6",
        "# HELP x_rss_bytes Memory",
        "# TYPE x_rss_bytes gauge",
        'x_rss_bytes{worker="1"} 100',
        'x_rss_bytes{worker="2"} 120',
        "# TYPE x_state untyped",
        'x_state{model="m",worker="1"} 1',
        'x_state{model="m",worker="2"} 1',
        "",
      ].join("\n"),
    );
  });

  it("merges real ServiceMetrics expositions so one scrape counts both workers' requests", async () => {
    const w1 = new ServiceMetrics({ processMetrics: false });
    const w2 = new ServiceMetrics({ processMetrics: false });
    for (let i = 0; i < 3; i++)
      w1.observe({ route: "/predict", model: "m", version: "1", status: 200, seconds: 0.002 });
    for (let i = 0; i < 5; i++)
      w2.observe({ route: "/predict", model: "m", version: "1", status: 200, seconds: 0.02 });
    const merged = mergeExpositions([
      { worker: 1, text: await w1.render() },
      { worker: 2, text: await w2.render() },
    ]);
    assert.match(
      merged,
      /^modelserve_http_requests_total\{model="m",version="1",route="\/predict",status="200"\} 8$/m,
    );
    assert.match(
      merged,
      /^modelserve_http_request_duration_seconds_count\{model="m",version="1",route="\/predict"\} 8$/m,
    );
  });
});

describe("mergeStats", () => {
  it("sums counts and computes percentiles over both workers' latency windows", () => {
    const w1 = new ServiceMetrics({ processMetrics: false });
    const w2 = new ServiceMetrics({ processMetrics: false });
    // Worker 1 answers fast, worker 2 slowly: the merged median lies between.
    for (let i = 1; i <= 50; i++)
      w1.observe({ route: "/p", model: "m", version: "1", status: 200, seconds: i / 1000 });
    for (let i = 51; i <= 100; i++)
      w2.observe({ route: "/p", model: "m", version: "1", status: i === 100 ? 500 : 200, seconds: i / 1000 });
    const doc = mergeStats([w1.statsSnapshot(), w2.statsSnapshot()], Date.now());
    const [m] = doc.models as { requests: number; errors: number; latencyMs: Record<string, number> }[];
    assert.equal(m!.requests, 100);
    assert.equal(m!.errors, 1);
    // Nearest rank over the union 1..100 ms.
    assert.ok(Math.abs(m!.latencyMs.p50! - 50) < 1e-9);
    assert.ok(Math.abs(m!.latencyMs.p99! - 99) < 1e-9);
    assert.equal(m!.latencyMs.window, 100);
  });

  it("equals a single process's /stats for one worker", () => {
    const w = new ServiceMetrics({ processMetrics: false });
    for (let i = 1; i <= 20; i++)
      w.observe({
        route: "/p",
        model: "m",
        version: "1",
        status: 200,
        seconds: i / 1000,
        inferenceMs: 1,
        rows: 1,
        predictions: ["a"],
      });
    const started = Date.now() - 5000;
    const one = w.stats(started) as { models: Record<string, unknown>[] };
    const merged = mergeStats([w.statsSnapshot()], started) as { models: Record<string, unknown>[] };
    const strip = (x: Record<string, unknown>) => ({ ...x, throughputPerSecond: 0 });
    assert.deepEqual(merged.models.map(strip), one.models.map(strip));
  });
});
