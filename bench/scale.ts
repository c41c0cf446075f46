/**
 * @module `npm run bench:scale`: modelserve on one worker and on two (`--workers 2`) next to what a
 * user would otherwise run on two cores — a 2-process `node:cluster` of bare `node:http` (parsing the
 * body, constant reply of the same shape) and Flask on gunicorn -w2 with Debian's scikit-learn — in
 * the same run, alternating rounds. Models: the iris RandomForest-100 and a breast-cancer
 * RandomForest-300 (`scripts/bench/train_http_models.py`). Workloads: single rows on 32 connections
 * (the batch's 1000 rows, one per request in turn), 1000-row batches on 8 connections, driven by `wrk` (C, one thread) pinned to CPU 0; one-worker
 * modelserve is pinned to the last CPU, the two-process servers get every CPU (so on a 2-core machine
 * they share CPU 0 with the load generator). Reports requests/s, rows/s, p99 and the resident memory
 * of the whole process tree, median [min–max] over BENCH_ROUNDS rounds (default 3) of BENCH_DURATION
 * seconds (default 5). `BENCH_EXTRA_ARGS` adds arguments to every modelserve start (e.g. batching).
 * Last, memory: a ~100 MB forest (`scripts/bench/train_big_forest.py`) served by one worker and by
 * two, RSS of the whole process tree once ready and after single-row load (`BENCH_BIG=0` skips it).
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import cluster from "node:cluster";
import { readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTool, type LoadRun, wrk, wrkMany } from "./lib/loadgen.ts";
import {
  bareHandler,
  ensurePeers,
  median,
  ROOT,
  rssMb,
  spread,
  trainModels,
  untilReady,
} from "./lib/peers.ts";
import { QUIET_STEAL, quietRatio, stealMeter, stolenPerRound } from "./lib/steal.ts";

// `node bench/scale.ts --bare-cluster PORT`: the 2-process node:cluster of bare node:http.
if (process.argv[2] === "--bare-cluster") {
  const port = Number(process.argv[3]);
  if (cluster.isPrimary) {
    for (let i = 0; i < 2; i++) cluster.fork();
  } else {
    createServer(bareHandler).listen(port, "127.0.0.1");
  }
  await new Promise(() => undefined);
}

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const extra = (process.env.BENCH_EXTRA_ARGS ?? "").split(" ").filter(Boolean);
const cpus = availableParallelism();
const canPin = cpus > 1 && spawnSync("taskset", ["--version"]).status === 0;
const last = String(cpus - 1);
const all = `0-${last}`;

ensureTool("wrk");
ensurePeers();
const models = trainModels("modelserve-bench-scale-");

type ServerName = "modelserve ×1" | "modelserve ×2" | "node:cluster ×2 bare" | "gunicorn -w2";
const servers: ServerName[] = ["modelserve ×1", "modelserve ×2", "node:cluster ×2 bare", "gunicorn -w2"];
const cases = [
  { name: "iris RF-100", file: "iris_rf100.joblib", data: "iris" },
  { name: "breast-cancer RF-300", file: "bc_rf300.joblib", data: "bc" },
] as const;

let nextPort = 18_900;

function command(server: ServerName, file: string, port: number): { args: string[]; cpus: string } {
  const model = join(models, file);
  const serve = [process.execPath, join(ROOT, "bin/modelserve.js"), "serve", model, "--port", String(port)];
  switch (server) {
    case "modelserve ×1":
      return { args: [...serve, "--log-format", "json", ...extra], cpus: last };
    case "modelserve ×2":
      return { args: [...serve, "--log-format", "json", "--workers", "2", ...extra], cpus: all };
    case "node:cluster ×2 bare":
      return {
        args: [process.execPath, fileURLToPath(import.meta.url), "--bare-cluster", String(port)],
        cpus: all,
      };
    case "gunicorn -w2":
      return {
        args: ["gunicorn", "-w", "2", "-b", `127.0.0.1:${port}`, "--log-level", "warning", "flask_app:app"],
        cpus: all,
      };
  }
}

async function start(server: ServerName, file: string): Promise<{ child: ChildProcess; port: number }> {
  const port = nextPort++;
  const spec = command(server, file, port);
  const argv = canPin ? ["taskset", "-c", spec.cpus, ...spec.args] : spec.args;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: join(ROOT, "bench/peers"),
    env: { ...process.env, MODEL_PATH: join(models, file.replace(".json", ".joblib")), OMP_NUM_THREADS: "1" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  await untilReady(child, {
    name: server,
    url: `http://127.0.0.1:${port}${server.startsWith("modelserve") ? "/health/ready" : "/health"}`,
    timeoutMs: 180_000,
    stderr: () => err,
    // The bare cluster has no health route: any answer means it listens.
    anyAnswer: server === "node:cluster ×2 bare",
    // modelserve prints its banner once every worker is ready.
    also: () => !server.startsWith("modelserve") || err.includes("listening on"),
  });
  // Two-process servers: wait until both processes listen (a second answer source).
  await new Promise((r) => setTimeout(r, 500));
  return { child, port };
}

/** One `wrk` run (one thread, pinned to CPU 0) posting the JSON in `bodyFile`. */
const wrkFile = (
  port: number,
  path: string,
  bodyFile: string,
  connections: number,
  seconds: number,
): LoadRun => wrk(port, path, readFileSync(bodyFile, "utf8"), connections, seconds);

interface Sample {
  oneRps: number;
  oneP99: number;
  batchRowsPerS: number;
  batchP99: number;
  rssMb: number;
  errors: number;
  /** Share of the CPU the hypervisor took during the single-row and the batch runs (0–1). */
  oneStolen: number;
  batchStolen: number;
}

async function measure(server: ServerName, c: (typeof cases)[number]): Promise<Sample> {
  const { child, port } = await start(server, c.file);
  try {
    const batch = join(models, `${c.data}_batch1000.json`);
    // Single rows: the batch's 1000 rows, one per request in turn (distinct rows, as real traffic).
    const one = (JSON.parse(readFileSync(batch, "utf8")) as { instances: number[][] }).instances.map((row) =>
      JSON.stringify({ features: row }),
    );
    wrkMany(port, "/predict", one, 32, 2); // warm-up (JIT) before measuring
    let stolen = stealMeter();
    const s = wrkMany(port, "/predict", one, 32, duration);
    const oneStolen = stolen();
    stolen = stealMeter();
    const b = wrkFile(port, "/predict/batch", batch, 8, duration);
    const batchStolen = stolen();
    return {
      oneRps: s.rps,
      oneP99: s.p99,
      batchRowsPerS: b.rps * 1000,
      batchP99: b.p99,
      rssMb: rssMb(child.pid!),
      errors: s.errors + b.errors,
      oneStolen,
      batchStolen,
    };
  } finally {
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const lines: string[] = [
  `bench:scale — ${new Date().toISOString()}, Node ${process.versions.node}, ${cpus} CPUs, ${rounds} alternating rounds of ${duration} s, load average at start ${loadavg()[0]!.toFixed(2)}${extra.length ? `, modelserve args: ${extra.join(" ")}` : ""}`,
  canPin
    ? `wrk (1 thread) on CPU 0; modelserve ×1 on CPU ${last}; two-process servers on CPUs ${all}`
    : "not pinned (taskset missing or one CPU)",
];
let failed = false;
for (const c of cases) {
  const samples = new Map<ServerName, Sample[]>(servers.map((s) => [s, []]));
  for (let r = 0; r < rounds; r++)
    for (const s of servers) {
      const sample = await measure(s, c);
      samples.get(s)!.push(sample);
      if (sample.errors > 0 && s.startsWith("modelserve")) failed = true;
    }
  lines.push(
    "",
    `## ${c.name}`,
    "",
    "| server | single rows req/s (32 conn) | p99 ms | 1000-row batches rows/s (8 conn) | p99 ms | RSS MB (all processes) | errors |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const [s, xs] of samples)
    lines.push(
      `| ${s} | ${spread(xs.map((x) => x.oneRps))} | ${spread(
        xs.map((x) => x.oneP99),
        2,
      )} | ${spread(xs.map((x) => x.batchRowsPerS))} | ${spread(
        xs.map((x) => x.batchP99),
        1,
      )} | ${spread(xs.map((x) => x.rssMb))} | ${xs.reduce((n, x) => n + x.errors, 0)} |`,
    );
  const ratio = (a: ServerName, b: ServerName, key: keyof Sample) =>
    (median(samples.get(a)!.map((x) => x[key])) / median(samples.get(b)!.map((x) => x[key]))).toFixed(2);
  const runs = (s: ServerName, key: "oneRps" | "batchRowsPerS") =>
    (samples.get(s) ?? []).map((x) => ({
      value: x[key],
      stolen: key === "oneRps" ? x.oneStolen : x.batchStolen,
    }));
  const quiet = (a: ServerName, b: ServerName, key: "oneRps" | "batchRowsPerS") =>
    quietRatio(runs(a, key), runs(b, key));
  lines.push(
    "",
    `CPU stolen by the hypervisor, % per round: single rows ${[...samples].map(([s, xs]) => `${s} ${stolenPerRound(xs.map((x) => x.oneStolen))}`).join(", ")}; ` +
      `batches ${[...samples].map(([s, xs]) => `${s} ${stolenPerRound(xs.map((x) => x.batchStolen))}`).join(", ")}`,
    `paired ratios over quiet rounds (≤ ${100 * QUIET_STEAL} % stolen): single rows ×2 / bare node:cluster ×2 ${quiet("modelserve ×2", "node:cluster ×2 bare", "oneRps")}; ` +
      `batch rows/s ×2 / gunicorn -w2 ${quiet("modelserve ×2", "gunicorn -w2", "batchRowsPerS")}`,
  );
  lines.push(
    "",
    `ratios (medians): single rows ×2/×1 ${ratio("modelserve ×2", "modelserve ×1", "oneRps")}, ×2 / bare node:cluster ×2 ${ratio("modelserve ×2", "node:cluster ×2 bare", "oneRps")}; ` +
      `batch rows/s ×2/×1 ${ratio("modelserve ×2", "modelserve ×1", "batchRowsPerS")}, ×2 / gunicorn -w2 ${ratio("modelserve ×2", "gunicorn -w2", "batchRowsPerS")}; ` +
      `RSS ×2/×1 ${ratio("modelserve ×2", "modelserve ×1", "rssMb")}`,
  );
}
if (process.env.BENCH_BIG !== "0") {
  execFileSync("/usr/bin/python3", [join(ROOT, "scripts/bench/train_big_forest.py"), models], {
    stdio: "ignore",
  });
  const file = "big_rf170.joblib";
  const mb = (statSync(join(models, file)).size / 2 ** 20).toFixed(0);
  const mem = new Map<ServerName, { ready: number[]; loaded: number[] }>();
  for (let r = 0; r < rounds; r++)
    for (const s of ["modelserve ×1", "modelserve ×2"] as const) {
      const { child, port } = await start(s, file);
      try {
        const m = mem.get(s) ?? { ready: [], loaded: [] };
        m.ready.push(rssMb(child.pid!));
        wrkFile(port, "/predict", join(models, "big_one.json"), 32, 2);
        m.loaded.push(rssMb(child.pid!));
        mem.set(s, m);
      } finally {
        process.kill(-child.pid!, "SIGTERM");
        await new Promise((res) => child.once("exit", res));
      }
    }
  lines.push(
    "",
    `## memory: a ${mb} MB forest (RandomForest-170 on 40 000 × 20)`,
    "",
    "| server | RSS MB once ready | RSS MB after 2 s of single rows |",
    "| --- | --- | --- |",
  );
  for (const [s, m] of mem) lines.push(`| ${s} | ${spread(m.ready)} | ${spread(m.loaded)} |`);
  const one = mem.get("modelserve ×1")!;
  const two = mem.get("modelserve ×2")!;
  lines.push(
    "",
    `RSS ×2/×1 (medians): once ready ${(median(two.ready) / median(one.ready)).toFixed(2)}, after load ${(median(two.loaded) / median(one.loaded)).toFixed(2)}`,
  );
}
lines.push("", `load average at end ${loadavg()[0]!.toFixed(2)}`, "");
process.stdout.write(lines.join("\n"));
rmSync(models, { recursive: true, force: true });
if (failed) process.exitCode = 1;
