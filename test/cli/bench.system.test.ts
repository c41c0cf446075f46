import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { requestBodies } from "../../src/cli/bench-command.ts";
import { LatencyHistogram } from "../../src/cli/latency-histogram.ts";
import { type Deployment, deploy } from "../../src/deploy.ts";
import { IRIS_ROW, silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const dir = tempDir("bench");

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The value column of a metric row in the text table. */
function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no "${name}" row in:\n${text}`);
  return Number.parseFloat(line.slice(name.length).trim());
}

describe("modelserve bench against the running iris example", () => {
  let svc: Deployment;
  before(async () => {
    svc = await deploy([], {
      configFile: join(root, "examples/iris/modelserve.json"),
      env: {},
      port: 0,
      logger: silent,
    });
  });
  after(() => svc.close());

  it("loads /predict with the documented example for 2 s on 2 connections and prints the summary table", async () => {
    const r = await cli("bench", svc.url, "--duration", "2", "--connections", "2");
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, new RegExp(`^POST ${svc.url}/predict \\(model heuristic\\): 2 connections, `));
    assert.match(out, /1 row per request, 1 distinct body/);
    assert.equal(r.stderr, "", "no progress bar when stderr is not a terminal");
    const rps = metric(out, "requests/s");
    const requests = metric(out, "requests");
    assert.ok(rps > 0 && requests > 0, out);
    assert.equal(metric(out, "rows/s"), rps, "one row per request");
    const p50 = metric(out, "latency p50");
    const p95 = metric(out, "latency p95");
    const p99 = metric(out, "latency p99");
    const max = metric(out, "latency max");
    assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, out);
    assert.equal(metric(out, "non-2xx"), 0);
    assert.equal(metric(out, "errors"), 0);
    // Every answer was a 200, and the status table counts them all.
    assert.equal(metric(out, "200"), requests, out);
  });

  it("counts 4xx answers by status when rows are invalid, and scores the valid ones", async () => {
    const rows = join(dir, "mixed.json");
    writeFileSync(rows, JSON.stringify([IRIS_ROW, { ...IRIS_ROW, sepal_length: "abc" }]));
    const r = await cli(
      "bench",
      svc.url,
      "--rows",
      rows,
      "--duration",
      "1",
      "--connections",
      "2",
      "--model",
      "random_forest",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.url, `${svc.url}/models/random_forest/predict`);
    assert.equal(s.bodies, 2);
    assert.ok(s.statuses["200"] > 0 && s.statuses["422"] > 0, r.stdout);
    assert.deepEqual(Object.keys(s.statuses).sort(), ["200", "422"]);
    assert.equal(s.non2xx, s.statuses["422"]);
    assert.equal(s.requests, s.statuses["200"] + s.statuses["422"]);
    // Bodies alternate on each connection, so half the answers are refusals, give or take the last ones.
    assert.ok(Math.abs(s.statuses["200"] - s.statuses["422"]) <= 2, r.stdout);
    assert.ok(s.rowsPerSecond > 0 && s.rowsPerSecond < s.requestsPerSecond);
  });

  it("loads the batch route of predict_proba with --batch", async () => {
    const r = await cli(
      "bench",
      svc.url,
      "--route",
      "predict_proba",
      "--batch",
      "8",
      "--duration",
      "1",
      "--connections",
      "1",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.url, `${svc.url}/predict_proba/batch`);
    assert.deepEqual(Object.keys(s.statuses), ["200"]);
    assert.ok(Math.abs(s.rowsPerSecond - 8 * s.requestsPerSecond) <= 8, r.stdout);
  });
});

describe("modelserve bench <model>", () => {
  it("serves a model file in-process on an ephemeral port, benches it and stops it", async () => {
    const r = await cli(
      "bench",
      join(root, "examples/iris/heuristic.ts"),
      "--duration",
      "1",
      "-c",
      "2",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/predict$/);
    assert.equal(s.model, "heuristic");
    assert.ok(s.requests > 0 && s.statuses["200"] === s.requests, r.stdout);
  });

  it("refuses out-of-bounds options and unknown targets with one line", async () => {
    const long = await cli("bench", "http://127.0.0.1:1", "--duration", "301");
    assert.equal(long.code, 1);
    assert.match(long.stderr, /duration must be a number from 0\.1 to 300/);
    const missing = await cli("bench", join(dir, "nope.joblib"), "--duration", "1");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^modelserve: .*nope\.joblib.* \[MS_MODEL_FILE_NOT_FOUND\]\n$/);
    const down = await cli("bench", "http://127.0.0.1:1", "--duration", "1");
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^modelserve: cannot reach http:\/\/127\.0\.0\.1:1\/models/);
  });
});

describe("bench helpers", () => {
  it("cycles rows into batch bodies", () => {
    const bodies = requestBodies([1, 2, 3], 2).map((b) => JSON.parse(b));
    assert.deepEqual(bodies, [{ instances: [1, 2] }, { instances: [3, 1] }]);
    assert.deepEqual(requestBodies([{ a: 1 }], 1), ['{"a":1}']);
    assert.throws(() => requestBodies([], 1), /no rows/);
  });

  it("keeps percentiles within 0.1 % of the exact ones", () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const ms = ((i * 7919) % 10_000) / 100 + 0.001 * i; // up to ~110 ms, not sorted
      values.push(ms);
      h.record(ms);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 95, 99]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1];
      assert.ok(
        Math.abs(h.percentile(p) - exact) <= exact * 0.001 + 0.001,
        `p${p}: ${h.percentile(p)} vs ${exact}`,
      );
    }
    assert.equal(h.max, Math.round(values.at(-1)! * 1000) / 1000);
  });
});
