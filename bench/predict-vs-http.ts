/**
 * @module `npm run bench`: POST /predict on the iris heuristic against a bare node:http server that
 * parses the same body and answers a constant, in one run on loopback, and their ratio. Each server
 * runs in its own child process; `wrk` (one thread) drives it, pinned to CPU 0 when the servers are
 * pinned (before 2026-12-06, autocannon in this process, whose ~23 000 requests/s ceiling capped the
 * reference servers near modelserve's own rate). Bounded: BENCH_DURATION seconds per server
 * (default 5) in BENCH_ROUNDS alternating rounds (default 3), BENCH_CONNECTIONS connections (default 50).
 * BENCH_MODEL serves a model file instead of the heuristic; BENCH_BASELINE=fastify measures against a
 * constant-reply Fastify route instead of node:http. BENCH_AGAINST=DIR adds a third server in the same
 * rounds: modelserve from another checkout (e.g. a `git worktree` of an older commit), to compare two
 * versions of the code in one run.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureTool, wrk } from "./lib/loadgen.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
// BENCH_BODY replaces the iris row, e.g. '{"features":[5.1,3.5,1.4,0.2]}' for a model without names.
const body =
  process.env.BENCH_BODY ??
  JSON.stringify({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
const serverScript = fileURLToPath(new URL("./servers.ts", import.meta.url));

// Pin each server to the last CPU when taskset exists, so it does not share a core with the load generator.
// CPUs are counted before pinning (a pinned process sees one) and handed to the pinned run.
const { cpus, server: pin } = pinLoadGenerator(import.meta.url);

const against = process.env.BENCH_AGAINST;
ensureTool("wrk");

async function start(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const script =
    mode === "against" ? fileURLToPath(new URL("bench/servers.ts", `file://${against}/`)) : serverScript;
  const [cmd, ...args] = [...pin, process.execPath, script, mode === "against" ? "modelserve" : mode];
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
    child.once("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { child, port };
}

interface Result {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers and socket errors. */
  readonly errors: number;
}

async function measure(name: string, mode: string): Promise<Result> {
  const { child, port } = await start(mode);
  try {
    wrk(port, "/predict", body, connections, 2); // warm-up
    const r = wrk(port, "/predict", body, connections, duration);
    return { name, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors };
  } finally {
    child.kill();
  }
}

// Alternate the two servers over several rounds and compare medians, so a noisy moment on a small
// machine does not decide the ratio.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_BASELINE=fastify compares with a constant-reply Fastify route instead of bare node:http.
const baseline = process.env.BENCH_BASELINE === "fastify" ? "fastify" : "bare";
const baseName = baseline === "fastify" ? "Fastify constant reply" : "node:http constant reply";
const bareRuns: Result[] = [];
const msRuns: Result[] = [];
const otherRuns: Result[] = [];
for (let i = 0; i < rounds; i++) {
  bareRuns.push(await measure(baseName, baseline));
  msRuns.push(await measure("modelserve POST /predict", "modelserve"));
  if (against) otherRuns.push(await measure("modelserve (BENCH_AGAINST)", "against"));
}
const median = (runs: Result[]): Result =>
  [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
const bare = median(bareRuns);
const ms = median(msRuns);
const ratio = ms.rps / bare.rps;
const row = (r: Result) =>
  `${r.name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors}`;
process.stdout.write(
  [
    `loopback, ${connections} connections, ${rounds} alternating rounds of ${duration} s per server (medians), Node ${process.versions.node}${pin.length ? `, servers pinned to CPU ${cpus - 1}, load generator to CPU 0` : ""}`,
    row(bare),
    row(ms),
    `model: ${process.env.BENCH_MODEL ?? "iris heuristic"}`,
    `ratio modelserve / ${baseName.split(" ")[0]}: ${ratio.toFixed(2)} (bar: ≥ 0.60)`,
    ...(against
      ? [
          row(median(otherRuns)),
          `ratio BENCH_AGAINST / ${baseName.split(" ")[0]}: ${(median(otherRuns).rps / bare.rps).toFixed(2)}; this tree / BENCH_AGAINST: ${(ms.rps / median(otherRuns).rps).toFixed(2)}`,
        ]
      : []),
    "",
  ].join("\n"),
);
process.stdout.write(
  `rounds (req/s): ${baseName.split(" ")[0]} ${bareRuns.map((r) => r.rps.toFixed(0)).join(" ")} | modelserve ${msRuns.map((r) => r.rps.toFixed(0)).join(" ")}${against ? ` | against ${otherRuns.map((r) => r.rps.toFixed(0)).join(" ")}` : ""}\n`,
);
if (msRuns.some((r) => r.errors > 0)) process.exitCode = 1;
