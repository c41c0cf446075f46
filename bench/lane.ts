/**
 * @module `npm run bench:lane`: what the fast lane buys in each configuration that changes what a
 * request goes through — the defaults, the `production` preset (API keys, a rate limit, an inference
 * timeout), CORS, and the durable audit log (`--audit-sync each`) — each served with the lane and with
 * `--no-fast-lane`, side by side. The bundled iris forest (no Python needed), single rows (the 30 golden
 * rows in turn) on 32 keep-alive connections, `wrk` pinned to CPU 0 and every server to the last CPU,
 * `BENCH_ROUNDS` alternating rounds (default 5) of `BENCH_DURATION` s (default 4): median [min–max]
 * requests/s, and the server's CPU time per request from /proc (what other processes' load does not
 * inflate). `BENCH_CONFIGS=default,production,cors,audit` picks the configurations.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTool, wrkMany } from "./lib/loadgen.ts";
import { cpuMs, median, ROOT, spread, untilReady } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const { server } = pinLoadGenerator(import.meta.url);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const duration = Number(process.env.BENCH_DURATION ?? 4);
const connections = 32;
ensureTool("wrk");

const KEY = "k-bench-lane-0123456789abcdef";
const scratch = mkdtempSync(join(tmpdir(), "modelserve-bench-lane-"));
const forest = join(ROOT, "examples/iris/models/random_forest.joblib");
const rows = JSON.parse(
  readFileSync(join(ROOT, "examples/iris/golden/random_forest.inputs.json"), "utf8"),
) as object[];
const bodies = rows.map((r) => JSON.stringify(r));

interface Config {
  readonly name: string;
  readonly args: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}
const all: Record<string, Config> = {
  default: { name: "defaults", args: [] },
  production: {
    name: "production preset (API key, rate limit, inference timeout)",
    // A limit no run reaches: every request is answered, and counted.
    args: ["--production", "--api-keys", `bench:${KEY}:predict`, "--rate-limit", "100000000"],
    headers: { authorization: `Bearer ${KEY}` },
  },
  cors: { name: "CORS for any origin", args: ["--cors", "*"], headers: { origin: "https://app.example" } },
  audit: {
    name: "durable audit log (every prediction, --audit-sync each)",
    args: ["--audit-log", join(scratch, "audit.jsonl"), "--audit-sync", "each"],
  },
};
const configs = (process.env.BENCH_CONFIGS ?? "default,production,cors,audit").split(",").map((c) => {
  const config = all[c.trim()];
  if (!config) throw new Error(`unknown configuration ${c}; known: ${Object.keys(all).join(", ")}`);
  return config;
});

interface Variant {
  readonly config: Config;
  readonly lane: boolean;
  readonly port: number;
  child?: ChildProcess;
  readonly rps: number[];
  readonly cpuUs: number[];
}
const variants: Variant[] = [];
let port = 18_600;
for (const config of configs)
  for (const lane of [true, false]) variants.push({ config, lane, port: port++, rps: [], cpuUs: [] });

const loadStart = loadavg()[0]!;
try {
  for (const v of variants) {
    const args = [
      join(ROOT, "bin/modelserve.js"),
      "serve",
      forest,
      "--port",
      String(v.port),
      "--log-format",
      "json",
      ...v.config.args,
      ...(v.lane ? [] : ["--no-fast-lane"]),
    ];
    const [cmd, ...rest] = [...server, process.execPath, ...args];
    let stderr = "";
    const child = spawn(cmd!, rest, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    v.child = child;
    await untilReady(child, {
      name: `${v.config.name}${v.lane ? "" : " --no-fast-lane"}`,
      url: `http://127.0.0.1:${v.port}/health/ready`,
      timeoutMs: 30_000,
      stderr: () => stderr,
    });
  }
  // A warm-up round of each, not counted (the JIT, the micro-batcher's calibration).
  for (const v of variants) wrkMany(v.port, "/predict", bodies, connections, 2, v.config.headers);
  for (let r = 0; r < rounds; r++)
    for (const v of variants) {
      const before = cpuMs(v.child!.pid!);
      const run = wrkMany(v.port, "/predict", bodies, connections, duration, v.config.headers);
      const used = cpuMs(v.child!.pid!) - before;
      if (run.errors > 0) throw new Error(`${v.config.name}: ${run.errors} failed requests`);
      v.rps.push(run.rps);
      v.cpuUs.push((used * 1000) / run.requests);
    }
} finally {
  for (const v of variants) v.child?.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
}

const out = [
  `bench:lane — ${new Date().toISOString()}, Node ${process.versions.node}, ${rounds} alternating rounds of ${duration} s, single rows on ${connections} connections, iris RandomForest-100`,
  `servers pinned (${server.join(" ") || "not pinned"}), wrk on CPU 0; load average ${loadStart.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
  "",
  "| configuration | lane req/s | CPU µs / request | without the lane req/s | CPU µs / request | req/s ratio |",
  "| --- | --- | --- | --- | --- | --- |",
];
for (let i = 0; i < variants.length; i += 2) {
  const on = variants[i]!;
  const off = variants[i + 1]!;
  out.push(
    `| ${on.config.name} | ${spread(on.rps)} | ${spread(on.cpuUs, 1)} | ${spread(off.rps)} | ${spread(off.cpuUs, 1)} | ${(median(on.rps) / median(off.rps)).toFixed(2)} |`,
  );
}
process.stdout.write(`${out.join("\n")}\n`);
