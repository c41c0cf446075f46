/**
 * @module `npm run bench:batching`: adaptive micro-batching on, off and `auto`, single rows at 32
 * keep-alive connections (`wrk`, one thread, each request one of 1000 distinct rows in turn), on a
 * breast-cancer RandomForest-300 (scikit-learn, inline on the
 * event loop) and a breast-cancer ONNX MLP (256×256, onnxruntime in its worker thread). Models are
 * trained by `scripts/bench/train_http_models.py` and `scripts/bench/train_onnx_mlp.py` with Debian's
 * scikit-learn and onnx (installed with apt when missing, as root). The server is pinned to the last
 * CPU and the load generator to CPU 0; BENCH_ROUNDS alternating rounds (default 5) of BENCH_DURATION s
 * (default 5) after a warm-up; median [min–max] of req/s and p99, the server's CPU time per request
 * (from /proc, so other processes' load does not inflate it) and the part of it in the kernel, RSS after load, the mean rows per
 * model call read from `/metrics`, and `uptime` before and after. `BENCH_CASES=rf300,mlp,rf100,knn` picks
 * the models (rf100, the iris RandomForest-100, is a cheap model; knn, a brute-force KNN of 11 000
 * points, a costly one, trained by `scripts/bench/sklearn_heavy.py`), `BENCH_MODES=off,on,auto` the modes.
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTool, wrkMany } from "./lib/loadgen.ts";
import { cpuMs, systemCpuMs, untilReady } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";
import { QUIET_STEAL, quietRatio, stealMeter, stolenPerRound } from "./lib/steal.ts";

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const root = fileURLToPath(new URL("../", import.meta.url));
const { canPin, last } = pinLoadGenerator(import.meta.url);

/** Installs Debian's scikit-learn, XGBoost and onnx when missing (the training scripts need them). */
function ensurePython(): void {
  const ok = () => spawnSync("/usr/bin/python3", ["-c", "import sklearn, xgboost, onnx"]).status === 0;
  if (ok()) return;
  process.stderr.write("installing python3-sklearn, python3-xgboost and python3-onnx with apt-get…\n");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "python3-sklearn", "python3-xgboost", "python3-onnx"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (!ok()) throw new Error("scikit-learn, xgboost or onnx still missing after apt-get install");
}

ensurePython();
ensureTool("wrk");
const models = mkdtempSync(join(tmpdir(), "modelserve-bench-batching-"));
for (const script of ["train_http_models.py", "train_onnx_mlp.py"])
  execFileSync("/usr/bin/python3", [join(root, "scripts/bench", script), models], { stdio: "ignore" });

interface ModelCase {
  readonly name: string;
  readonly file: string;
  /** 1000 rows (`{"instances": [...]}`): each is sent as its own single-row request, in turn. */
  readonly rows: string;
}
const allCases: Record<string, ModelCase> = {
  rf300: {
    name: "breast-cancer RandomForest-300 (sklearn)",
    file: "bc_rf300.joblib",
    rows: "bc_batch1000.json",
  },
  mlp: { name: "breast-cancer MLP 256×256 (ONNX)", file: "bc_mlp.onnx", rows: "bc_batch1000.json" },
  // A cheaper model, to see what `auto` makes of it: not in the default run.
  rf100: { name: "iris RandomForest-100 (sklearn)", file: "iris_rf100.joblib", rows: "iris_batch1000.json" },
  // A model whose cost is its arithmetic (scripts/bench/sklearn_heavy.py): not in the default run.
  knn: { name: "KNN, 11 000 points × 30 (sklearn, brute force)", file: "knn.joblib", rows: "rows.json" },
};
const cases = (process.env.BENCH_CASES?.split(",") ?? ["rf300", "mlp"]).map((c) => {
  const found = allCases[c];
  if (!found) throw new Error(`unknown BENCH_CASES entry ${c} (known: ${Object.keys(allCases).join(", ")})`);
  return found;
});
const modes = (process.env.BENCH_MODES?.split(",") ?? ["off", "on", "auto"]) as ("off" | "on" | "auto")[];
if (cases.includes(allCases.knn!))
  execFileSync("/usr/bin/python3", [join(root, "scripts/bench/sklearn_heavy.py"), "train", models], {
    stdio: "ignore",
  });

let nextPort = 18_900;

/** Resident memory of a process, from /proc, in MB. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function start(file: string, mode: string): Promise<{ child: ChildProcess; port: number }> {
  const port = nextPort++;
  const args = [
    join(root, "bin/modelserve.js"),
    "serve",
    join(models, file),
    "--port",
    String(port),
    "--log-format",
    "json",
    "--micro-batching",
    mode,
  ];
  const [cmd, argv] = canPin
    ? ["taskset", ["-c", last, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  await untilReady(child, {
    name: "modelserve",
    url: `http://127.0.0.1:${port}/health/ready`,
    timeoutMs: 60_000,
    stderr: () => err,
  });
  return { child, port };
}

/** Single-row bodies over distinct rows: one row sent again and again would flatter the trees. */
function requestsOf(file: string): string[] {
  // `{"instances": [...]}`, or a plain list of rows (sklearn_heavy.py's).
  const data = JSON.parse(readFileSync(join(models, file), "utf8")) as { instances: number[][] } | number[][];
  const instances = Array.isArray(data) ? data : data.instances;
  return instances.map((features) => JSON.stringify({ features }));
}

/**
 * One `wrk` run (pinned to CPU 0 when the server is pinned): before 2026-12-06 this was autocannon in
 * the bench process, which cannot drive much more than ~23 000 requests/s and so compressed the ratios
 * of a fast server.
 */
function load(port: number, bodies: readonly string[], seconds: number) {
  const r = wrkMany(port, "/predict", bodies, connections, seconds);
  return { rps: r.rps, p99: r.p99, total: r.requests, errors: r.errors };
}

interface Sample {
  rps: number;
  p99: number;
  /** Server CPU time per request, µs. */
  cpuUs: number;
  /** The part of it spent in the kernel (reads, writes, wake-ups), µs. */
  sysUs: number;
  rss: number;
  rows: number;
  errors: number;
  /** `auto`'s decision at the end of the round, from `/stats` (empty while undecided). */
  decision: string;
  /** Share of the CPU the hypervisor took during the measured run (0–1). */
  stolen: number;
}

async function measure(c: ModelCase, mode: string): Promise<Sample> {
  const { child, port } = await start(c.file, mode);
  try {
    const requests = requestsOf(c.rows);
    load(port, requests, 2); // warm-up: JIT, and `auto`'s calibration on the first rows
    const before = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const cpu0 = cpuMs(child.pid!);
    const sys0 = systemCpuMs(child.pid!);
    const stolen = stealMeter();
    const s = load(port, requests, duration);
    const stolenShare = stolen();
    const cpuUs = ((cpuMs(child.pid!) - cpu0) * 1000) / s.total;
    const sysUs = ((systemCpuMs(child.pid!) - sys0) * 1000) / s.total;
    const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const delta = (text: string, what: string) =>
      Number(new RegExp(`^modelserve_model_batch_rows_${what}\\{[^}]*\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
    const rows =
      (delta(after, "sum") - delta(before, "sum")) / (delta(after, "count") - delta(before, "count"));
    const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as {
      batching?: { calibrated: { reason: string; singleUs: number; batchedRowUs?: number }[] };
    };
    const cal = stats.batching?.calibrated[0];
    const decision = cal
      ? `${cal.reason} (single ${cal.singleUs.toFixed(1)} µs${cal.batchedRowUs === undefined ? "" : `, batched ${cal.batchedRowUs.toFixed(1)} µs/row`})`
      : "";
    return {
      rps: s.rps,
      p99: s.p99,
      cpuUs,
      sysUs,
      rss: rssMb(child.pid!),
      rows,
      errors: s.errors,
      decision,
      stolen: stolenShare,
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const med = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[], digits = 0) => {
  const s = sorted(xs);
  return `${med(s).toFixed(digits)} [${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)}]`;
};
const uptime = () => {
  const r = spawnSync("uptime", { encoding: "utf8" });
  return r.status === 0
    ? r.stdout.trim()
    : `load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(", ")}`;
};

const lines: string[] = [
  `bench:batching — ${new Date().toISOString()}, Node ${process.versions.node}, ${rounds} alternating rounds of ${duration} s at ${connections} connections, single rows`,
  canPin ? `server on CPU ${last}, load generator on CPU 0` : "not pinned (taskset missing or one CPU)",
  `uptime at start: ${uptime()}`,
];
let failed = false;
for (const c of cases) {
  const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++)
    for (const m of modes) {
      const s = await measure(c, m);
      samples.get(m)!.push(s);
      if (s.errors > 0) failed = true;
      process.stderr.write(`${c.name} ${m} round ${r + 1}: ${s.rps.toFixed(0)} req/s, p99 ${s.p99} ms\n`);
    }
  lines.push(
    "",
    `## ${c.name}`,
    "",
    "| micro-batching | req/s | p99 ms | server CPU µs per request | of it in the kernel | rows per model call | RSS MB | errors |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const [m, xs] of samples)
    lines.push(
      `| ${m} | ${fmt(xs.map((x) => x.rps))} | ${fmt(xs.map((x) => x.p99))} | ${fmt(xs.map((x) => x.cpuUs))} | ${fmt(
        xs.map((x) => x.sysUs),
        1,
      )} | ${fmt(
        xs.map((x) => x.rows),
        1,
      )} | ${fmt(xs.map((x) => x.rss))} | ${xs.reduce((a, x) => a + x.errors, 0)} |`,
    );
  const on = samples.get("on");
  const off = samples.get("off");
  const auto = samples.get("auto");
  if (auto)
    lines.push("", `auto's decision per round: ${auto.map((x) => x.decision || "undecided").join("; ")}`);
  if (on && off)
    lines.push(
      "",
      `on / off (medians): throughput ×${(med(on.map((x) => x.rps)) / med(off.map((x) => x.rps))).toFixed(2)}, ` +
        `p99 ×${(med(on.map((x) => x.p99)) / med(off.map((x) => x.p99))).toFixed(2)}, ` +
        // What batching saves of each request's own work (the server is saturated in both modes).
        `server CPU per request ×${(med(on.map((x) => x.cpuUs)) / med(off.map((x) => x.cpuUs))).toFixed(2)}`,
      `CPU stolen by the hypervisor, % per round: ${[...samples].map(([m, xs]) => `${m} ${stolenPerRound(xs.map((x) => x.stolen))}`).join(", ")}`,
      `on / off, paired over quiet rounds (≤ ${100 * QUIET_STEAL} % stolen): throughput ×${quietRatio(
        on.map((x) => ({ value: x.rps, stolen: x.stolen })),
        off.map((x) => ({ value: x.rps, stolen: x.stolen })),
      )}`,
    );
}
lines.push("", `uptime at end: ${uptime()}`, "");
process.stdout.write(lines.join("\n"));
if (failed) process.exitCode = 1;
rmSync(models, { recursive: true, force: true });
