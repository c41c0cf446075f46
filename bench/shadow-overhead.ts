/**
 * @module `npm run bench:shadow`: what shadow traffic costs the live answer. The iris random forest is
 * served as versions 1 and 2 of one model; autocannon sends `POST /models/rf/predict` at a fixed rate
 * (BENCH_RATE, default 2000/s) without a shadow, then with version 1 shadowing every request, in
 * alternating rounds, and compares latency percentiles (loopback, bounded).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const duration = Number(process.env.BENCH_DURATION ?? 5);
// A fixed request rate below saturation: what a live service sees (at saturation the shadow's extra
// inference simply competes for the same CPU).
const rate = Number(process.env.BENCH_RATE ?? 2000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
// The server on the last CPU and this client on the first (when taskset exists): a p99 is the tail of
// a few thousand requests, and two processes waiting for each other's core would decide it.
const { server: pin } = pinLoadGenerator(import.meta.url);
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const model = fileURLToPath(new URL("../examples/iris/models/random_forest.joblib", import.meta.url));
const repo = mkdtempSync(join(tmpdir(), "modelserve-shadow-"));
for (const v of ["1", "2"]) {
  mkdirSync(join(repo, "rf", v), { recursive: true });
  copyFileSync(model, join(repo, "rf", v, "model.joblib"));
}
const body = JSON.stringify({ sepal_length: 6.3, sepal_width: 2.8, petal_length: 5.1, petal_width: 1.5 });

async function run(shadow: boolean) {
  const args = [
    bin,
    "serve",
    "--repository",
    repo,
    "--port",
    "0",
    "--log-level",
    "warn",
    ...(shadow ? ["--shadow", "rf=1"] : []),
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
  const target = new URL(`${url}/models/rf/predict`);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const send = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(performance.now() - t0)
              : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  // Warm-up, then a fixed rate: one request every 1/rate s, whatever the answers take.
  for (let i = 0; i < 500; i++) await send();
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  const cpuBefore = cpuMs(child.pid);
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < duration * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++)
      pending.push(
        send().then(
          (ms) => void latencies.push(ms),
          () => void failed++,
        ),
      );
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  // Server CPU time over the measured window (utime + stime from /proc, 10 ms ticks): what the shadow costs.
  const serverMs = cpuMs(child.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))];
  const r = { rps: latencies.length / duration, p50: q(0.5), p99: q(0.99), errors: failed, non2xx: 0 };
  child.kill("SIGTERM");
  return {
    rps: r.rps,
    p99: r.p99,
    p50: r.p50,
    failed: r.errors + r.non2xx,
    latencies,
    cpuMs: serverMs,
    requests: sent,
  };
}

const plain: Awaited<ReturnType<typeof run>>[] = [];
const shadowed: Awaited<ReturnType<typeof run>>[] = [];
// One round of each first, thrown away: this process's own JIT warm-up lands in the first tail.
await run(false);
await run(true);
for (let i = 0; i < rounds; i++) {
  plain.push(await run(false));
  shadowed.push(await run(true));
}
rmSync(repo, { recursive: true, force: true });
// Percentiles over every round's latencies pooled (alternating rounds share the machine's drift; the
// pooled tail is steadier than a median of per-round tails).
const pooled = (runs: typeof plain, f: number) => {
  const all = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return all[Math.min(all.length - 1, Math.floor(f * all.length))];
};
const cpuPerReq = (runs: typeof plain) =>
  (runs.reduce((a, r) => a + r.cpuMs, 0) / runs.reduce((a, r) => a + r.requests, 0)) * 1000;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p = { rps: med(plain.map((r) => r.rps)), p99: pooled(plain, 0.99), p50: pooled(plain, 0.5) };
const s = { rps: med(shadowed.map((r) => r.rps)), p99: pooled(shadowed, 0.99), p50: pooled(shadowed, 0.5) };
process.stdout.write(
  [
    `iris random forest (100 trees), 20 connections at ${rate} req/s, ${rounds} alternating rounds of ${duration} s (latencies pooled per side)`,
    `no shadow    ${p.rps.toFixed(0).padStart(7)} req/s  p50 ${p.p50.toFixed(3)} ms  p99 ${p.p99.toFixed(3)} ms`,
    `with shadow  ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms`,
    `p99 change: ${(((s.p99 - p.p99) / p.p99) * 100).toFixed(1)} %`,
    `p99 per round (ms): no shadow ${plain.map((r) => r.p99.toFixed(2)).join(" ")} | with shadow ${shadowed.map((r) => r.p99.toFixed(2)).join(" ")}`,
    `server CPU per request: no shadow ${cpuPerReq(plain).toFixed(1)} µs, with shadow ${cpuPerReq(shadowed).toFixed(1)} µs`,
    `failed requests: ${[...plain, ...shadowed].reduce((a, r) => a + r.failed, 0)}`,
    "",
  ].join("\n"),
);
