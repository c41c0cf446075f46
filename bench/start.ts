/**
 * @module `npm run bench:start`: spawn → ready and resident memory of `modelserve serve` against the
 * reference servers of `bench:http` (a Fastify constant reply validating the body, bare `node:http`),
 * each started pinned to the last CPU, in alternating rounds. Models: the bundled iris examples (a
 * RandomForest-100 joblib and an XGBoost JSON), so no Python is needed.
 *
 * Ready: `/health/ready` answers 200 (modelserve; the others: `/health`, any answer for `node:http`),
 * polled every 10 ms from the moment of spawn. RSS at ready, and 6 s later (the loader worker, kept
 * warm 5 s after a load, has gone by then).
 *
 * Environment: `BENCH_ROUNDS` (default 9); `BENCH_COMPARE=/path/to/bin/modelserve.js` adds that build
 * of modelserve (another checkout) to every round, for a same-run before/after.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, rssMb, spread, untilReady } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const { server } = pinLoadGenerator(import.meta.url);
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const constantServer = fileURLToPath(new URL("./lib/constant-server.mjs", import.meta.url));
const forest = join(root, "examples/iris/models/random_forest.joblib");
const xgboost = join(root, "examples/iris/models/xgboost.json");

interface Variant {
  readonly name: string;
  readonly args: (port: number) => string[];
  readonly health: string;
  readonly anyAnswer?: boolean;
}

const serve = (bin: string, model: string) => (port: number) => [
  bin,
  "serve",
  model,
  "--host",
  "127.0.0.1",
  "--port",
  String(port),
  "--log-level",
  "warn",
];

const variants: Variant[] = [
  {
    name: "modelserve, iris forest",
    args: serve(join(root, "bin/modelserve.js"), forest),
    health: "/health/ready",
  },
  {
    name: "modelserve, iris XGBoost",
    args: serve(join(root, "bin/modelserve.js"), xgboost),
    health: "/health/ready",
  },
  ...(process.env.BENCH_COMPARE
    ? [
        {
          name: "BENCH_COMPARE, iris forest",
          args: serve(process.env.BENCH_COMPARE, forest),
          health: "/health/ready",
        },
      ]
    : []),
  {
    name: "Fastify, constant reply",
    args: (p: number) => [constantServer, "fastify", String(p)],
    health: "/health",
  },
  {
    name: "node:http, constant reply",
    args: (p: number) => [constantServer, "bare", String(p)],
    health: "/",
    anyAnswer: true,
  },
];

interface Sample {
  readyMs: number;
  rssReady: number;
  rssLater: number;
}

let nextPort = 19_400;

async function once(v: Variant): Promise<Sample> {
  const port = nextPort++;
  const argv = [...server, process.execPath, ...v.args(port)];
  const started = performance.now();
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  try {
    await untilReady(child, {
      name: v.name,
      url: `http://127.0.0.1:${port}${v.health}`,
      timeoutMs: 30_000,
      stderr: () => err,
      anyAnswer: v.anyAnswer,
    });
    const readyMs = performance.now() - started;
    const rssReady = rssMb(child.pid!);
    await new Promise((r) => setTimeout(r, 6_000));
    return { readyMs, rssReady, rssLater: rssMb(child.pid!) };
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
  }
}

const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
const loadBefore = loadavg()[0]!;
for (let r = 0; r < rounds; r++) for (const v of variants) samples.get(v.name)!.push(await once(v));

const col = (xs: number[], digits = 0) => spread(xs, digits);
const rows = variants.map((v) => {
  const s = samples.get(v.name)!;
  return `| ${v.name} | ${col(s.map((x) => x.readyMs))} | ${col(
    s.map((x) => x.rssReady),
    1,
  )} | ${col(
    s.map((x) => x.rssLater),
    1,
  )} |`;
});
const med = (name: string, k: keyof Sample) => median(samples.get(name)!.map((x) => x[k]));
const fastify = "Fastify, constant reply";
process.stdout.write(
  [
    `spawn → ready, ${rounds} alternating rounds, servers pinned (${server.join(" ") || "not pinned"}); Node ${process.versions.node}; load average ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
    "",
    "| server | spawn → ready ms | RSS at ready MB | RSS 6 s later MB |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `ratios to Fastify (medians): ${variants
      .filter((v) => v.name !== fastify)
      .map(
        (v) =>
          `${v.name}: spawn ${(med(v.name, "readyMs") / med(fastify, "readyMs")).toFixed(2)}, RSS ${(med(v.name, "rssLater") / med(fastify, "rssLater")).toFixed(2)}`,
      )
      .join("; ")}`,
    "",
  ].join("\n"),
);
