/**
 * @module `npm run bench:pool`: the inference pool against inline inference, in the same run,
 * alternating rounds. Three parts:
 *
 * 1. Round trip: what a call to a pool thread costs beyond the model's own work (a decision tree, 1 and
 *    1000 rows), in a child pinned like the server; the figure behind `auto`'s 1 ms threshold.
 * 2. Load: the breast-cancer RandomForest-300 (`scripts/bench/train_http_models.py`) served with
 *    `--inference inline`, `auto` (which, given a CPU beyond the event loop, puts its 1000-row batches
 *    on the pool and keeps single rows inline; on one CPU, inline) and `pool`; 1000-row batches on 8 connections and single rows on 8 connections at
 *    the same time (two `wrk`, one thread each, on CPU 0), the server pinned to BENCH_SERVER_CPUS
 *    (default: every CPU but 0). Batch rows/s, single-row p99 while batches run, RSS.
 * 3. Memory: a ~100 MB forest (`scripts/bench/train_big_forest.py`) inline, on a pool of 1 thread and
 *    of 2 (`--inference pool --inference-threads N`): RSS of the process once ready and after batches.
 *
 * Median [min–max] over BENCH_ROUNDS rounds (default 3) of BENCH_DURATION seconds (default 5).
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ensureTool, type LoadRun, wrk, wrkAsync } from "./lib/loadgen.ts";
import { median, ROOT, rssMb, spread, trainModels, untilReady } from "./lib/peers.ts";

const cpus = availableParallelism();
const canPin = cpus > 1 && spawnSync("taskset", ["--version"]).status === 0;
const serverCpus = process.env.BENCH_SERVER_CPUS ?? (cpus > 2 ? `1-${cpus - 1}` : String(cpus - 1));

// `node bench/pool.ts --round-trip`: part 1, in a child pinned to the server's CPUs.
if (process.argv[2] === "--round-trip") {
  const { InferencePool } = await import("../src/inference/pool/inference-pool.ts");
  const { placeModel } = await import("../src/inference/pool/placement.ts");
  const { loadModel } = await import("../src/runtimes/load-model.ts");
  const { setLoadLimits } = await import("../src/runtimes/load-limits.ts");
  setLoadLimits({ sharedMemory: true });
  const { tableFromRows } = await import("../src/schema/validator.ts");
  const m = await loadModel(join(ROOT, "examples/iris/models/decision_tree.joblib"));
  const pool = new InferencePool(1);
  const { model } = await placeModel(m, pool, { name: "t", version: "1", mode: "pool", maxBatchRows: 1000 });
  const out: Record<string, number> = {};
  for (const rows of [1, 1000]) {
    const data = Array.from({ length: rows }, (_, i) => [
      4 + (i % 40) / 10,
      3,
      1 + (i % 60) / 10,
      0.2 + (i % 25) / 10,
    ]);
    const time = async (f: (t: ReturnType<typeof tableFromRows>) => Promise<unknown>) => {
      const xs: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const t = tableFromRows(m.signature, data);
        const started = performance.now();
        await f(t);
        xs.push((performance.now() - started) * 1000);
      }
      return median(xs.slice(500));
    };
    const inline = await time((t) => m.predictProba!(t));
    const pooled = await time((t) => model.predictProba!(t));
    out[`rows${rows}`] = pooled - inline;
  }
  await pool.close();
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
ensureTool("wrk");
const models = trainModels("modelserve-bench-pool-");

let nextPort = 19_300;

async function start(file: string, args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = nextPort++;
  const serve = [process.execPath, join(ROOT, "bin/modelserve.js"), "serve", join(models, file)];
  const argv = [...serve, "--port", String(port), "--log-format", "json", "--log-level", "warn", ...args];
  const full = canPin ? ["taskset", "-c", serverCpus, ...argv] : argv;
  const child = spawn(full[0]!, full.slice(1), { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  await untilReady(child, {
    name: "modelserve",
    url: `http://127.0.0.1:${port}/health/ready`,
    timeoutMs: 180_000,
    stderr: () => err,
  });
  return { child, port };
}

async function stop(child: ChildProcess): Promise<void> {
  process.kill(-child.pid!, "SIGTERM");
  await new Promise((r) => child.once("exit", r));
}

/** Where the server placed its model (its `/models/{name}` meta). */
async function placementOf(port: number, name: string): Promise<string> {
  const body = (await (await fetch(`http://127.0.0.1:${port}/models/${name}`)).json()) as {
    versions: { meta?: { inference?: { mode: string; poolFromRows?: number } } }[];
  };
  const p = body.versions[0]?.meta?.inference;
  return p ? `${p.mode}${p.poolFromRows ? ` from ${p.poolFromRows} rows` : ""}` : "?";
}

const lines: string[] = [
  `bench:pool — ${new Date().toISOString()}, Node ${process.versions.node}, ${cpus} CPUs, ${rounds} alternating rounds of ${duration} s, load average at start ${loadavg()[0]!.toFixed(2)}`,
  canPin
    ? `wrk (1 thread each) on CPU 0; modelserve on CPUs ${serverCpus}`
    : "not pinned (taskset missing or one CPU)",
];

// 1. Round trip.
const rt = execFileSync(
  canPin ? "taskset" : process.execPath,
  [...(canPin ? ["-c", serverCpus, process.execPath] : []), fileURLToPath(import.meta.url), "--round-trip"],
  { encoding: "utf8" },
);
const trip = JSON.parse(rt) as { rows1: number; rows1000: number };
lines.push(
  "",
  "## Round trip to a pool thread (beyond the model's own work; median of 2500 calls)",
  "",
  `1 row: ${trip.rows1.toFixed(0)} µs; 1000 rows (4 features): ${trip.rows1000.toFixed(0)} µs`,
);

// 2. Batches and single rows at once.
// `auto` keeps the model inline where the server has no CPU beyond its event loop (one CPU: the
// default here on two); `pool` forces its calls onto the pool whatever the CPUs.
const modes = {
  inline: ["--inference", "inline"],
  auto: ["--inference", "auto"],
  pool: ["--inference", "pool"],
} as const;
type Mode = keyof typeof modes;
interface Sample {
  batchRowsPerS: number;
  batchP99: number;
  oneRps: number;
  oneP99: number;
  rssMb: number;
  errors: number;
  placed: string;
}
const samples = new Map<Mode, Sample[]>([
  ["inline", []],
  ["auto", []],
  ["pool", []],
]);
const one = readFileSync(join(models, "bc_one.json"), "utf8");
const batch = readFileSync(join(models, "bc_batch1000.json"), "utf8");
for (let r = 0; r < rounds; r++)
  for (const mode of Object.keys(modes) as Mode[]) {
    const { child, port } = await start("bc_rf300.joblib", modes[mode]);
    try {
      wrk(port, "/predict/batch", batch, 8, 2); // warm-up (JIT)
      const [b, s]: LoadRun[] = await Promise.all([
        wrkAsync(port, "/predict/batch", batch, 8, duration),
        wrkAsync(port, "/predict", one, 8, duration),
      ]);
      samples.get(mode)!.push({
        batchRowsPerS: b.rps * 1000,
        batchP99: b.p99,
        oneRps: s.rps,
        oneP99: s.p99,
        rssMb: rssMb(child.pid!),
        errors: b.errors + s.errors,
        placed: await placementOf(port, "bc_rf300"),
      });
    } finally {
      await stop(child);
    }
  }
lines.push(
  "",
  "## breast-cancer RF-300: 1000-row batches (8 conn) and single rows (8 conn) at once",
  "",
  "| inference | placement | batch rows/s | batch p99 ms | single rows req/s | single-row p99 ms | RSS MB | errors |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
);
for (const [mode, xs] of samples)
  lines.push(
    `| ${mode} | ${xs[0]!.placed} | ${spread(xs.map((x) => x.batchRowsPerS))} | ${spread(
      xs.map((x) => x.batchP99),
      1,
    )} | ${spread(xs.map((x) => x.oneRps))} | ${spread(
      xs.map((x) => x.oneP99),
      2,
    )} | ${spread(xs.map((x) => x.rssMb))} | ${xs.reduce((n, x) => n + x.errors, 0)} |`,
  );
const ratio = (mode: Mode, key: keyof Sample) =>
  (
    median(samples.get(mode)!.map((x) => x[key] as number)) /
    median(samples.get("inline")!.map((x) => x[key] as number))
  ).toFixed(2);
lines.push(
  "",
  ...(["auto", "pool"] as const).map(
    (m) =>
      `${m}/inline (medians): batch rows/s ${ratio(m, "batchRowsPerS")}, single-row p99 ${ratio(m, "oneP99")}`,
  ),
);

// 3. Memory of a ~100 MB forest.
if (process.env.BENCH_BIG !== "0") {
  execFileSync("/usr/bin/python3", [join(ROOT, "scripts/bench/train_big_forest.py"), models], {
    stdio: "ignore",
  });
  const file = "big_rf170.joblib";
  const mb = (statSync(join(models, file)).size / 2 ** 20).toFixed(0);
  const body = JSON.parse(readFileSync(join(models, "big_one.json"), "utf8")) as { features: number[] };
  const big = JSON.stringify({ instances: Array.from({ length: 200 }, () => body.features) });
  const arms = {
    inline: ["--inference", "inline"],
    "pool, 1 thread": ["--inference", "pool", "--inference-threads", "1"],
    "pool, 2 threads": ["--inference", "pool", "--inference-threads", "2"],
  } as const;
  const mem = new Map<string, { ready: number[]; loaded: number[] }>();
  for (let r = 0; r < rounds; r++)
    for (const [arm, args] of Object.entries(arms)) {
      const { child, port } = await start(file, args);
      try {
        await new Promise((res) => setTimeout(res, 1000));
        const ready = rssMb(child.pid!);
        // Enough concurrent batches that every thread runs some.
        for (let i = 0; i < 5; i++)
          await Promise.all(
            Array.from({ length: 4 }, () =>
              fetch(`http://127.0.0.1:${port}/predict/batch`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: big,
              }).then((x) => x.arrayBuffer()),
            ),
          );
        const loaded = rssMb(child.pid!);
        const m = mem.get(arm) ?? { ready: [], loaded: [] };
        m.ready.push(ready);
        m.loaded.push(loaded);
        mem.set(arm, m);
      } finally {
        await stop(child);
      }
    }
  lines.push(
    "",
    `## Memory: a ${mb} MB RandomForest-170 (RSS of the process, MB)`,
    "",
    "| inference | ready | after 20 batches of 200 rows |",
    "| --- | --- | --- |",
  );
  for (const [arm, m] of mem) lines.push(`| ${arm} | ${spread(m.ready)} | ${spread(m.loaded)} |`);
}
rmSync(models, { recursive: true, force: true });
process.stdout.write(`${lines.join("\n")}\n`);
