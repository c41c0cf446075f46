/**
 * @module Servers for `bench/predict-vs-http.ts`, one per child process so the load generator never
 * shares their event loop: `modelserve` (the iris heuristic behind the full app) or `bare` (node:http
 * parsing the same JSON body and answering a constant JSON reply). Prints the port on stdout.
 */

import { createServer } from "node:http";
import heuristic from "../examples/iris/heuristic.ts";
import { createLogger, type LogLevel } from "../src/observability/logger.ts";
import { ModelRegistry } from "../src/registry/model-registry.ts";
import { loadDefinition } from "../src/runtimes/custom/typescript-runtime.ts";
import { buildApp } from "../src/server/app.ts";

const mode = process.argv[2];

if (mode === "modelserve") {
  const registry = new ModelRegistry();
  registry.register(heuristic.name, heuristic.version, loadDefinition(heuristic));
  // Request logs at info, as in production, but written nowhere.
  const level = (process.env.BENCH_LOG ?? "info") as LogLevel;
  const { fastify } = buildApp(registry, {
    logger: createLogger({ level, format: "json", file: "/dev/null" }),
    // Metrics on, as by default; BENCH_METRICS=0 measures their cost.
    metrics: process.env.BENCH_METRICS !== "0",
  });
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  const addr = fastify.server.address();
  process.stdout.write(`${typeof addr === "object" && addr ? addr.port : 0}\n`);
} else if (mode === "bare") {
  // The same bytes modelserve answers for the benchmark row, so both sides send equal payloads.
  const reply = JSON.stringify({
    model: "heuristic",
    version: "1",
    prediction: "setosa",
    probabilities: { setosa: 1, versicolor: 0, virginica: 0 },
  });
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      JSON.parse(body);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.stdout.write(`${typeof addr === "object" && addr ? addr.port : 0}\n`);
  });
} else {
  process.stderr.write("usage: servers.ts modelserve|bare\n");
  process.exit(2);
}

// Exit cleanly on a signal so --cpu-prof can write its profile.
for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => process.exit(0));
