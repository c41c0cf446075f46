/**
 * @module `npm run bench:audit-sync`: what audit durability costs. The iris heuristic is served with the
 * audit log on, in `--audit-sync none`, `interval` and `each` modes, in alternating rounds; `wrk`
 * (one thread, pinned to CPU 0, the server to the last CPU when taskset exists) sends `POST /predict` at
 * saturation with BENCH_CONNECTIONS keep-alive connections for BENCH_DURATION seconds per round
 * (loopback, bounded). Prints median [min–max] req/s and p99 per mode, and checks that the audit file
 * holds a line per answered prediction (`wrk` stops with up to one request per connection in flight,
 * which the server may still have answered and recorded: those are allowed beyond the count). Before
 * 2026-12-06 the load came from autocannon in this process, whose ~23 000 requests/s ceiling was close
 * to the server's own rate.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTool, wrk } from "./lib/loadgen.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const { server: pin } = pinLoadGenerator(import.meta.url);
ensureTool("wrk");
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const model = fileURLToPath(new URL("../examples/iris/heuristic.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "modelserve-audit-bench-"));
const body = JSON.stringify({ sepal_length: 6.3, sepal_width: 2.8, petal_length: 5.1, petal_width: 1.5 });
const MODES = ["none", "interval", "each"] as const;
type Mode = (typeof MODES)[number];

async function run(mode: Mode, round: number) {
  const audit = join(dir, `${mode}-${round}.jsonl`);
  const args = [
    bin,
    "serve",
    model,
    "--port",
    "0",
    "--log-level",
    "warn",
    "--audit-log",
    audit,
    "--audit-sync",
    mode,
  ];
  const [cmd, ...rest] = [...pin, process.execPath, ...args];
  const child: ChildProcess = spawn(cmd, rest, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once("exit", (c) => reject(new Error(`server exited ${c}: ${err}`)));
  });
  const port = Number(new URL(url).port);
  const warm = wrk(port, "/predict", body, connections, 1);
  const r = wrk(port, "/predict", body, connections, duration);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  const lines = readFileSync(audit, "utf8").split("\n").length - 1;
  // Every answered prediction (warm-up included) has its line once the server exited.
  const answered = r.requests - r.errors + warm.requests - warm.errors;
  return {
    rps: r.rps,
    p99: r.p99,
    failed: r.errors + warm.errors,
    complete: lines >= answered && lines <= answered + 2 * connections,
  };
}

const results = new Map<Mode, Awaited<ReturnType<typeof run>>[]>(MODES.map((m) => [m, []]));
for (const m of MODES) await run(m, -1); // JIT and disk warm-up, thrown away
for (let i = 0; i < rounds; i++) for (const m of MODES) results.get(m)!.push(await run(m, i));
rmSync(dir, { recursive: true, force: true });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const stat = (xs: number[], digits = 0) => {
  const s = sorted(xs);
  return `${s[Math.floor(s.length / 2)].toFixed(digits)} [${s[0].toFixed(digits)}–${s[s.length - 1].toFixed(digits)}]`;
};
const lines = [
  `iris heuristic, audit log on, ${connections} connections, ${rounds} alternating rounds of ${duration} s; median [min–max]`,
];
for (const m of MODES) {
  const rs = results.get(m)!;
  lines.push(
    `${m.padEnd(9)} ${stat(rs.map((r) => r.rps)).padEnd(24)} req/s   p99 ${stat(rs.map((r) => r.p99)).padEnd(16)} ms   failed ${rs.reduce((a, r) => a + r.failed, 0)}   audit complete ${rs.every((r) => r.complete)}`,
  );
}
const base = sorted(results.get("none")!.map((r) => r.rps));
const each = sorted(results.get("each")!.map((r) => r.rps));
lines.push(
  `each vs none: ${(((each[Math.floor(each.length / 2)] - base[Math.floor(base.length / 2)]) / base[Math.floor(base.length / 2)]) * 100).toFixed(1)} % req/s`,
  "",
);
process.stdout.write(lines.join("\n"));
