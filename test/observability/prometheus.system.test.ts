/**
 * @module Integration test with a real Prometheus server (Debian's `prometheus`, installed by
 * `.ci/run`): it scrapes the running service's `/metrics`, then a rate and a `histogram_quantile` of
 * the iris model's latency are queried through Prometheus' HTTP API.
 */

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { IRIS_ROW, makeApp } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";

function prometheusBinary(): string {
  for (const p of ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]) {
    try {
      execFileSync(p, ["--version"], { stdio: "ignore" });
      return p;
    } catch {}
  }
  throw new Error(
    "prometheus is not installed: run `apt-get install -y prometheus` (as .ci/run does) to run this test",
  );
}

/** A free loopback port. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

interface PromResult {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(base: string, q: string): Promise<PromResult> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  return (await res.json()) as PromResult;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  diagnose?: () => Promise<string>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {}
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${(await diagnose?.()) ?? ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("a real Prometheus scrapes /metrics and answers rate() and histogram_quantile(0.99, ...)", {
  timeout: 90_000,
}, async () => {
  const bin = prometheusBinary();
  const { fastify } = makeApp();
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  const appPort = (fastify.server.address() as AddressInfo).port;
  const dir = tempDir("prom");
  let prom: ChildProcess | undefined;
  let stderr = "";
  try {
    await writeFile(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: modelserve",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${appPort}"]`,
        "",
      ].join("\n"),
    );
    const promPort = await freePort();
    prom = spawn(
      bin,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    prom.stderr?.on("data", (d) => {
      stderr = (stderr + String(d)).slice(-4000);
    });
    const base = `http://127.0.0.1:${promPort}`;
    await waitFor(`Prometheus to be ready (${stderr})`, async () =>
      (await fetch(`${base}/-/ready`)).ok ? true : undefined,
    );
    // Prometheus answers ready before its first scrape: traffic starts once the target is up.
    await waitFor("a first scrape", async () =>
      (await query(base, 'up{job="modelserve"}')).data.result[0]?.value[1] === "1" ? true : undefined,
    );
    // Traffic spread over a few scrapes, so rate() has at least two samples.
    const end = Date.now() + 5_000;
    let sent = 0;
    while (Date.now() < end) {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`http://127.0.0.1:${appPort}/predict`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(IRIS_ROW),
          }).then((r) => r.arrayBuffer()),
        ),
      );
      sent += 20;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(sent > 0);
    const recentSamples = async () =>
      JSON.stringify(await query(base, "modelserve_http_requests_total[1m]")).slice(0, 1500);
    const rate = await waitFor(
      "a non-zero request rate",
      async () => {
        const r = await query(
          base,
          'sum(rate(modelserve_http_requests_total{model="heuristic",route="/predict",status="200"}[30s]))',
        );
        const v = Number(r.data.result[0]?.value[1]);
        return r.status === "success" && v > 0 ? v : undefined;
      },
      recentSamples,
    );
    assert.ok(rate > 0 && Number.isFinite(rate), `rate ${rate}`);
    const p99 = await waitFor(
      "a p99 latency",
      async () => {
        const r = await query(
          base,
          'histogram_quantile(0.99, sum by (le) (rate(modelserve_http_request_duration_seconds_bucket{model="heuristic",route="/predict"}[30s])))',
        );
        const v = Number(r.data.result[0]?.value[1]);
        return r.status === "success" && Number.isFinite(v) ? v : undefined;
      },
      recentSamples,
    );
    // Loopback requests to a tiny model: well under a second, above zero.
    assert.ok(p99 > 0 && p99 < 1, `p99 ${p99}`);
    const up = await query(base, 'up{job="modelserve"}');
    assert.equal(up.data.result[0]?.value[1], "1");
  } finally {
    prom?.kill("SIGTERM");
    if (prom && prom.exitCode === null) await new Promise((r) => prom?.once("exit", r));
    await fastify.close();
    await rm(dir, { recursive: true, force: true });
  }
});
