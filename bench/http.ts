/**
 * @module `npm run bench:http`: modelserve against what a user would run instead, in one report.
 * Servers: modelserve (`serve MODEL`, request logs on as in production), a Fastify route validating the
 * same body with a constant reply, bare `node:http` parsing the body with a constant reply, and the
 * hand-written Python peers (FastAPI on uvicorn, one worker; Flask on gunicorn -w2, two sync workers).
 * Models: the iris RandomForest-100, a breast-cancer RandomForest-300 and an iris XGBoost classifier,
 * trained by `scripts/bench/train_http_models.py` with Debian's scikit-learn and XGBoost.
 * Workloads: single rows (32 connections; the 1000 rows of the batch, one per request in turn, since one
 * row repeated lets a tree walk's branch predictor learn its path) and 1000-row batches (8 connections),
 * each after 2 s of the same load unmeasured (JIT warm-up, every server alike),
 * driven by `wrk` (a C client: a Node client in this process capped every server near 23 k requests/s,
 * Fastify's constant reply included, and so flattered modelserve's single-row ratio); the server's CPU
 * time per single-row request is read from /proc, whatever the client can drive. Also spawn → ready
 * and RSS after load. Single-process servers are pinned to the last CPU, gunicorn -w2 gets both, the load
 * generator the first; BENCH_ROUNDS alternating rounds (default 3) of BENCH_DURATION s (default 5),
 * median [min–max]. Each run notes the CPU the hypervisor stole meanwhile (`lib/steal.ts`), and the
 * ratios are also given per round over the rounds in which little was stolen. Installs the Python peers
 * with apt when missing (root), never during `npm test`.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTool, wrk, wrkMany } from "./lib/loadgen.ts";
import { cpuMs, ensurePeers, median, rssMb, spread, trainModels, untilReady } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";
import { QUIET_STEAL, quietRatio, stealMeter, stolenPerRound } from "./lib/steal.ts";

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const only = process.env.BENCH_SERVERS?.split(",");
const root = fileURLToPath(new URL("../", import.meta.url));
const { canPin, last } = pinLoadGenerator(import.meta.url);
// The reference servers are a small plain-JavaScript file of their own (see its banner).
const constantServer = fileURLToPath(new URL("./lib/constant-server.mjs", import.meta.url));

ensurePeers();
ensureTool("wrk");
const models = trainModels("modelserve-bench-http-");

interface ModelCase {
  readonly name: string;
  /** What modelserve serves. */
  readonly file: string;
  /** What the Python peers load. */
  readonly joblib: string;
  readonly data: "iris" | "bc";
}
const cases: ModelCase[] = [
  { name: "iris RF-100", file: "iris_rf100.joblib", joblib: "iris_rf100.joblib", data: "iris" },
  { name: "breast-cancer RF-300", file: "bc_rf300.joblib", joblib: "bc_rf300.joblib", data: "bc" },
  { name: "iris XGBoost", file: "iris_xgb.json", joblib: "iris_xgb.joblib", data: "iris" },
];

type ServerName = "modelserve" | "fastify" | "node:http" | "uvicorn" | "gunicorn -w2";
const servers: ServerName[] = (
  ["modelserve", "fastify", "node:http", "uvicorn", "gunicorn -w2"] as const
).filter((s) => !only || only.includes(s));

let nextPort = 18_700;

function command(
  server: ServerName,
  c: ModelCase,
  port: number,
): { cmd: string; args: string[]; env?: Record<string, string>; cpus: string } {
  const model = join(models, server === "uvicorn" || server === "gunicorn -w2" ? c.joblib : c.file);
  switch (server) {
    case "modelserve":
      return {
        cmd: process.execPath,
        args: [
          join(root, "bin/modelserve.js"),
          "serve",
          model,
          "--port",
          String(port),
          "--log-format",
          "json",
        ],
        cpus: last,
      };
    case "fastify":
      return {
        cmd: process.execPath,
        args: [constantServer, "fastify", String(port)],
        cpus: last,
      };
    case "node:http":
      return {
        cmd: process.execPath,
        args: [constantServer, "bare", String(port)],
        cpus: last,
      };
    case "uvicorn":
      return {
        cmd: "/usr/bin/python3",
        args: [
          "-m",
          "uvicorn",
          "fastapi_app:app",
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--workers",
          "1",
          "--no-access-log",
          "--log-level",
          "warning",
        ],
        env: { MODEL_PATH: model, OMP_NUM_THREADS: "1" },
        cpus: last,
      };
    case "gunicorn -w2":
      return {
        cmd: "gunicorn",
        args: ["-w", "2", "-b", `127.0.0.1:${port}`, "--log-level", "warning", "flask_app:app"],
        env: { MODEL_PATH: model, OMP_NUM_THREADS: "1" },
        cpus: canPin ? `0-${last}` : "",
      };
  }
}

async function start(
  server: ServerName,
  c: ModelCase,
): Promise<{ child: ChildProcess; port: number; readyMs: number }> {
  const port = nextPort++;
  const spec = command(server, c, port);
  const started = performance.now();
  const [cmd, args] =
    canPin && spec.cpus ? ["taskset", ["-c", spec.cpus, spec.cmd, ...spec.args]] : [spec.cmd, spec.args];
  const child = spawn(cmd, args, {
    cwd: join(root, "bench/peers"),
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  await untilReady(child, {
    name: server,
    url: `http://127.0.0.1:${port}${server === "modelserve" ? "/health/ready" : "/health"}`,
    timeoutMs: 60_000,
    stderr: () => err,
    anyAnswer: server === "node:http",
  });
  return { child, port, readyMs: performance.now() - started };
}

interface Sample {
  readyMs: number;
  oneRps: number;
  /** Server CPU time per single-row request, µs (gunicorn -w2: its master only, so not reported). */
  oneCpuUs: number;
  oneP99: number;
  batchRowsPerS: number;
  batchP99: number;
  rssMb: number;
  errors: number;
  /** Share of the CPU the hypervisor took during the single-row and the batch runs (0–1). */
  oneStolen: number;
  batchStolen: number;
}

/** CPU time (user + system) a process has used so far, in µs. */
const cpuUs = (pid: number): number => cpuMs(pid) * 1000;

/** One load run by `wrk` (one body, or each of several in turn), with the server process's CPU time per request (µs). */
function load(
  pid: number,
  port: number,
  path: string,
  body: string | readonly string[],
  connections: number,
  seconds = duration,
) {
  const before = cpuUs(pid);
  const stolen = stealMeter();
  const r =
    typeof body === "string"
      ? wrk(port, path, body, connections, seconds)
      : wrkMany(port, path, body, connections, seconds);
  return {
    ...r,
    cpuPerRequest: r.requests > 0 ? (cpuUs(pid) - before) / r.requests : Number.NaN,
    stolen: stolen(),
  };
}

async function measure(server: ServerName, c: ModelCase): Promise<Sample> {
  const { child, port, readyMs } = await start(server, c);
  try {
    // Single rows: the batch's 1000 rows, one per request in turn (distinct rows, as real traffic).
    const one = (
      JSON.parse(readFileSync(join(models, `${c.data}_batch1000.json`), "utf8")) as { instances: number[][] }
    ).instances.map((row) => JSON.stringify({ features: row }));
    const batch = readFileSync(join(models, `${c.data}_batch1000.json`), "utf8");
    load(child.pid!, port, "/predict", one, 8, 2); // warm-up (and JIT) before measuring
    const s = load(child.pid!, port, "/predict", one, 32);
    // Batches warmed up too (every server alike): before 2026-12-07 13:30 their 5 s included the JIT of
    // the batch path and the boosters' call race trying the walks on large calls.
    load(child.pid!, port, "/predict/batch", batch, 8, 2);
    const b = load(child.pid!, port, "/predict/batch", batch, 8);
    return {
      readyMs,
      oneRps: s.rps,
      oneCpuUs: s.cpuPerRequest,
      oneP99: s.p99,
      batchRowsPerS: b.rps * 1000,
      batchP99: b.p99,
      rssMb: rssMb(child.pid!),
      errors: s.errors + b.errors,
      oneStolen: s.stolen,
      batchStolen: b.stolen,
    };
  } finally {
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const lines: string[] = [
  `bench:http — ${new Date().toISOString()}, Node ${process.versions.node}, ${rounds} alternating rounds of ${duration} s, load average at start ${loadavg()[0].toFixed(2)}`,
  canPin
    ? `servers on CPU ${last} (gunicorn -w2 on 0-${last}), load generator on CPU 0`
    : "not pinned (taskset missing or one CPU)",
];
let failed = false;
for (const c of cases) {
  const samples = new Map<ServerName, Sample[]>(servers.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++)
    for (const s of servers) {
      const sample = await measure(s, c);
      samples.get(s)!.push(sample);
      if (sample.errors > 0 && (s === "modelserve" || s === "fastify" || s === "node:http")) failed = true;
    }
  lines.push(
    "",
    `## ${c.name}`,
    "",
    "| server | single rows req/s | p99 ms | CPU µs / row request | 1000-row batches rows/s | p99 ms | RSS MB | spawn → ready ms |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const [s, xs] of samples)
    lines.push(
      `| ${s} | ${spread(xs.map((x) => x.oneRps))} | ${spread(xs.map((x) => x.oneP99))} | ${s === "gunicorn -w2" ? "n/a" : spread(xs.map((x) => x.oneCpuUs))} | ${spread(xs.map((x) => x.batchRowsPerS))} | ${spread(xs.map((x) => x.batchP99))} | ${spread(xs.map((x) => x.rssMb))} | ${spread(xs.map((x) => x.readyMs))} |`,
    );
  const ms = samples.get("modelserve");
  const ratio = (other: ServerName, key: keyof Sample) => {
    const o = samples.get(other);
    return ms && o ? (median(ms.map((x) => x[key])) / median(o.map((x) => x[key]))).toFixed(2) : "n/a";
  };
  const inverse = (other: ServerName, key: keyof Sample) => {
    const o = samples.get(other);
    return ms && o ? (median(o.map((x) => x[key])) / median(ms.map((x) => x[key]))).toFixed(2) : "n/a";
  };
  // Each round's ratio, over the rounds in which the hypervisor took little from either run.
  const quiet = (other: ServerName, key: "oneRps" | "batchRowsPerS") => {
    const o = samples.get(other);
    const run = key === "oneRps" ? "oneStolen" : "batchStolen";
    const runs = (xs: Sample[]) => xs.map((x) => ({ value: x[key], stolen: x[run] }));
    return ms && o ? quietRatio(runs(ms), runs(o)) : "n/a";
  };
  const stolen = (key: "oneStolen" | "batchStolen") =>
    [...samples].map(([s, xs]) => `${s} ${stolenPerRound(xs.map((x) => x[key]))}`).join(", ");
  lines.push(
    "",
    `CPU stolen by the hypervisor, % per round: single rows ${stolen("oneStolen")}; batches ${stolen("batchStolen")}`,
    `paired ratios over quiet rounds (≤ ${100 * QUIET_STEAL} % stolen): single rows / Fastify ${quiet("fastify", "oneRps")}; ` +
      `batch rows/s / gunicorn -w2 ${quiet("gunicorn -w2", "batchRowsPerS")}`,
  );
  lines.push(
    "",
    `ratios (medians): single rows / Fastify ${ratio("fastify", "oneRps")}, / node:http ${ratio("node:http", "oneRps")}; ` +
      `Fastify's CPU per single-row request / modelserve's ${inverse("fastify", "oneCpuUs")}; ` +
      `batch rows/s / gunicorn -w2 ${ratio("gunicorn -w2", "batchRowsPerS")}, / uvicorn ${ratio("uvicorn", "batchRowsPerS")}; ` +
      `RSS / Fastify ${ratio("fastify", "rssMb")}; spawn → ready / Fastify ${ratio("fastify", "readyMs")}`,
  );
}
lines.push("", `load average at end ${loadavg()[0].toFixed(2)}`, "");
process.stdout.write(lines.join("\n"));
if (failed) process.exitCode = 1;
if (existsSync(models) && readdirSync(models).length > 0) spawnSync("rm", ["-rf", models]);
