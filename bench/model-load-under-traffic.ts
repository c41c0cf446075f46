/**
 * @module `npm run bench:model-load`: what loading a model file costs the models already serving. A
 * server (pinned to CPU 0 with its loader worker) serves the iris forest from a watched repository
 * while this process (pinned to CPU 1) sends single-row requests on 2 keep-alive connections. Rounds
 * alternate: an unloaded window, then a window from dropping one file (BENCH_MODEL_FILES,
 * comma-separated; default the three committed compression bombs) into the repository until the
 * server reports that version ready or failed. Prints p99 and the slowest request (the longest stall a
 * client saw) per window, median [min–max] over BENCH_ROUNDS rounds (default 3). Loopback only, bounded.
 */

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateLoad, quantile, startServer } from "../test/chaos/hostile-load.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const files = (
  process.env.BENCH_MODEL_FILES ??
  ["zlib-2gib.joblib", "gzip-2gib.joblib.gz", "bz2-2gib.joblib.bz2"]
    .map((f) => here(`../test/fixtures/hostile/bombs/${f}`))
    .join(",")
).split(",");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const unloadedMs = Number(process.env.BENCH_UNLOADED_MS ?? 5000);

// The load generator on CPU 1, the server on CPU 0.
try {
  execFileSync("taskset", ["-cp", "1", String(process.pid)], { stdio: "ignore" });
} catch {
  console.warn("taskset failed: the generator is not pinned");
}
const repo = mkdtempSync(join(tmpdir(), "modelserve-load-bench-"));
const staging = mkdtempSync(join(tmpdir(), "modelserve-load-bench-staging-"));
mkdirSync(join(repo, "iris", "1"), { recursive: true });
copyFileSync(here("../examples/iris/models/random_forest.joblib"), join(repo, "iris", "1", "model.joblib"));
const server = await startServer(
  ["--repository", repo, "--watch", "--watch-interval", "100", "--port", "0", "--log-level", "error"],
  "0",
);
const target = `${server.url}/models/iris/predict`;
const row = JSON.stringify({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number[]) =>
  `${median(v).toFixed(2)} [${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}] ms`;

try {
  const warm = generateLoad(target, row, 2);
  await sleep(2000);
  await warm.stop();
  let version = 0;
  for (const file of files) {
    const unloaded: number[] = [];
    const loading: number[] = [];
    const unloadedMax: number[] = [];
    const loadingMax: number[] = [];
    let failures = 0;
    let state = "";
    let loadMs = 0;
    for (let r = 0; r < rounds; r++) {
      let load = generateLoad(target, row, 2);
      await sleep(unloadedMs);
      const u = await load.stop();
      unloaded.push(quantile(u.latencies, 0.99));
      unloadedMax.push(quantile(u.latencies, 1));
      failures += u.failures.length;
      version++;
      // The version folder is written beside the repository (before the window), then renamed in: the
      // server sees the whole file at once (one copied in place can be read half-written), as
      // deployments should do.
      const staged = join(staging, String(version));
      mkdirSync(staged, { recursive: true });
      copyFileSync(file, join(staged, basename(file)));
      mkdirSync(join(repo, "big"), { recursive: true });
      load = generateLoad(target, row, 2);
      const started = performance.now();
      renameSync(staged, join(repo, "big", String(version)));
      for (;;) {
        const res = await fetch(`${server.url}/models/big/versions/${version}`);
        if (res.status === 200) {
          state = ((await res.json()) as { state: string }).state;
          if (state === "ready" || state === "failed") break;
        }
        await sleep(50);
      }
      loadMs = performance.now() - started;
      const l = await load.stop();
      loading.push(quantile(l.latencies, 0.99));
      loadingMax.push(quantile(l.latencies, 1));
      failures += l.failures.length;
    }
    console.log(
      `${basename(file)}: ${state} after ${(loadMs / 1000).toFixed(1)} s (last round); p99 unloaded ${fmt(unloaded)}, while loading ${fmt(loading)}; slowest request unloaded ${fmt(unloadedMax)}, while loading ${fmt(loadingMax)}; failed requests ${failures}`,
    );
  }
} finally {
  server.child.kill("SIGTERM");
  rmSync(repo, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
}
