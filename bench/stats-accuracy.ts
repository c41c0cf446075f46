/**
 * @module `npm run bench:stats`: do `/stats` latency percentiles agree with what a client measures?
 * Serves a compute-bound model (bench/models/busy.ts, about BUSY_MS = 3 ms a row) in a child process,
 * sends sequential single-row requests from one keep-alive connection for BENCH_DURATION seconds
 * (default 10), then compares `/stats` p50/p95/p99 with the client's percentiles over the same last 4096
 * requests (the `/stats` window). Loopback only, bounded. Exits 1 when one differs by more than 10 %.
 */

import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { pinLoadGenerator } from "./lib/pin.ts";

const duration = Number(process.env.BENCH_DURATION ?? 10);
// BENCH_MODEL=forest sends iris forest batches instead (BENCH_BATCH rows, default 3000): there moving
// the bytes (a few hundred kB each way) adds client-side time the server never sees.
const useForest = process.env.BENCH_MODEL === "forest";
const batch = Number(process.env.BENCH_BATCH ?? 3000);
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const model = fileURLToPath(
  new URL(useForest ? "../examples/iris/models/random_forest.joblib" : "./models/busy.ts", import.meta.url),
);

// The server on the last CPU and this client on the first (when taskset exists), so neither waits
// for the other's core: a tail percentile is a few dozen requests, which such waits would decide.
const { server: pin } = pinLoadGenerator(import.meta.url);
const [cmd, ...args] = [...pin, process.execPath, bin, "serve", model, "--port", "0", "--log-level", "warn"];
const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
let err = "";
const base = await new Promise<string>((resolve, reject) => {
  child.stderr!.on("data", (d: Buffer) => {
    err += d;
    const m = /listening on (http:\/\/\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  child.once("exit", (c) => reject(new Error(`server exited ${c}: ${err}`)));
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const rows = Array.from({ length: batch }, (_, i) => ({
  sepal_length: 4.5 + (i % 30) / 10,
  sepal_width: 2 + (i % 20) / 10,
  petal_length: 1 + (i % 50) / 10,
  petal_width: 0.1 + (i % 24) / 10,
}));
const body = useForest ? JSON.stringify({ instances: rows }) : JSON.stringify({ x: 0.5 });
const route = useForest ? "/predict/batch" : "/predict";

function call(method: string, path: string, payload?: string): Promise<{ ms: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const t0 = performance.now();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        agent,
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        // Only /stats is read; prediction answers are drained unread, so the client allocates little
        // (its own garbage collections would otherwise show up as latency the server never saw).
        let text = "";
        if (method === "GET") {
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            text += d;
          });
        } else res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - t0, text })
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

// Warm-up (JIT), then the measured run; /stats keeps the last 4096 requests, so compare the same ones.
// Warm-up requests are kept too: when the run is shorter than the window, /stats holds them as well.
const latencies: number[] = [];
for (let i = 0; i < 200; i++) latencies.push((await call("POST", route, body)).ms);
const start = performance.now();
while (performance.now() - start < duration * 1000) latencies.push((await call("POST", route, body)).ms);
const stats = JSON.parse((await call("GET", "/stats")).text) as {
  models: { latencyMs: { p50: number; p95: number; p99: number; window: number } }[];
};
child.kill("SIGTERM");
agent.destroy();

const server = stats.models[0].latencyMs;
const last = latencies.slice(-server.window).sort((a, b) => a - b);
const q = (f: number) => last[Math.min(last.length - 1, Math.max(0, Math.ceil(f * last.length) - 1))];
const rowsOut: string[] = [];
let worst = 0;
for (const [name, f] of [
  ["p50", 0.5],
  ["p95", 0.95],
  ["p99", 0.99],
] as const) {
  const c = q(f);
  const s = server[name];
  const diff = (s - c) / c;
  worst = Math.max(worst, Math.abs(diff));
  rowsOut.push(
    `${name}  client ${c.toFixed(3)} ms   /stats ${s.toFixed(3)} ms   difference ${(diff * 100).toFixed(1)} %`,
  );
}
process.stdout.write(
  [
    `${useForest ? `iris RandomForest, batches of ${batch} rows` : `a compute-bound model (~${process.env.BUSY_MS ?? 3} ms a row), single rows`}, one keep-alive connection, ${latencies.length - 200} requests in ${duration} s after 200 warm-up ones; compared over the last ${server.window} (the /stats window)`,
    ...rowsOut,
    `largest difference ${(worst * 100).toFixed(1)} % (bar: within 10 %)`,
    "",
  ].join("\n"),
);
if (worst > 0.1) process.exitCode = 1;
