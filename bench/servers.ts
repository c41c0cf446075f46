/**
 * @module Servers for `bench/predict-vs-http.ts`, one per child process so the load generator never
 * shares their event loop: `modelserve` (the iris heuristic, or `BENCH_MODEL`, behind the full app),
 * `bare` (node:http parsing the same JSON body and answering a constant JSON reply) or `fastify`
 * (a Fastify route validating the same body by schema, constant reply). Prints the port on stdout.
 */

import { createServer } from "node:http";
import Fastify from "fastify";
import heuristic from "../examples/iris/heuristic.ts";
import { createLogger, type LogLevel } from "../src/observability/logger.ts";
import { ModelRegistry } from "../src/registry/model-registry.ts";
import { loadModel } from "../src/runtimes/load-model.ts";
import { loadDefinition } from "../src/runtimes/typescript/runtime.ts";
import { buildApp } from "../src/server/app.ts";

const mode = process.argv[2];

/** The same bytes modelserve answers for the benchmark row, so every server sends equal payloads. */
function constantReply(): string {
  return JSON.stringify({
    model: process.env.BENCH_MODEL ? "model" : "heuristic",
    version: "1",
    prediction: "setosa",
    probabilities: { setosa: 1, versicolor: 0, virginica: 0 },
  });
}

if (mode === "modelserve") {
  const registry = new ModelRegistry();
  // BENCH_MODEL serves a model file (e.g. a scikit-learn forest) instead of the iris heuristic.
  const file = process.env.BENCH_MODEL;
  if (file) registry.register("model", "1", await loadModel(file));
  else registry.register(heuristic.name, heuristic.version, loadDefinition(heuristic));
  // Request logs at info, as in production, but written nowhere.
  const level = (process.env.BENCH_LOG ?? "info") as LogLevel;
  const { fastify } = buildApp(registry, {
    logger: createLogger({ level, format: "json", file: "/dev/null" }),
    // Metrics on, as by default; BENCH_METRICS=0 measures their cost.
    metrics: process.env.BENCH_METRICS !== "0",
    // BENCH_BATCHING=off|on|auto (default auto, as served) measures what micro-batching costs or saves.
    microBatching: (process.env.BENCH_BATCHING ?? "auto") as "auto" | "on" | "off",
  });
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  const addr = fastify.server.address();
  process.stdout.write(`${typeof addr === "object" && addr ? addr.port : 0}\n`);
} else if (mode === "fastify") {
  // Fastify's own ceiling: the same body validated by a JSON schema, a constant reply of the same bytes.
  const app = Fastify({ logger: false });
  const number = { type: "number" };
  app.post(
    "/predict",
    {
      schema: {
        body: {
          type: "object",
          required: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
          properties: {
            sepal_length: number,
            sepal_width: number,
            petal_length: number,
            petal_width: number,
          },
        },
      },
    },
    async (_req, reply) => reply.type("application/json").send(constantReply()),
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  process.stdout.write(`${typeof addr === "object" && addr ? addr.port : 0}\n`);
} else if (mode === "bare") {
  const reply = constantReply();
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
  process.stderr.write("usage: servers.ts modelserve|bare|fastify\n");
  process.exit(2);
}

// Exit cleanly on a signal so --cpu-prof can write its profile.
for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => process.exit(0));
