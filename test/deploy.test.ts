import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deploy } from "../src/deploy.ts";
import { createLogger } from "../src/observability/logger.ts";
import { ModelRegistry } from "../src/registry/model-registry.ts";
import { loadModel } from "../src/runtimes/load-model.ts";
import { defineModel } from "../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../src/runtimes/typescript/runtime.ts";
import { buildApp } from "../src/server/app.ts";
import { IRIS_ROW } from "./helpers.ts";

const heuristicFile = fileURLToPath(new URL("../examples/iris/heuristic.ts", import.meta.url));

/** A logger whose JSON lines land in an array. */
function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "info", format: "json", destination }) };
}

describe("deploy", () => {
  it("says that workers is a serve setting, and serves from its own process", async () => {
    const { lines, logger } = collectingLogger();
    const svc = await deploy(heuristicFile, { port: 0, logger, workers: 2 });
    try {
      const warn = lines.find((l) => l.level === 40 && l.workers === 2);
      assert.match(String(warn?.msg), /workers applies to `modelserve serve`/);
      const res = await fetch(`${svc.url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
      });
      assert.equal(res.status, 200);
    } finally {
      await svc.close();
    }
  });

  it("serves a model file on a real port in one call", async () => {
    const { logger } = collectingLogger();
    const svc = await deploy(heuristicFile, { port: 0, logger });
    try {
      assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${svc.url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { prediction: string }).prediction, "setosa");
      assert.deepEqual(svc.registry.names(), ["heuristic"]);
    } finally {
      await svc.close();
    }
  });

  it("serves definitions and several models, with a default chosen by option", async () => {
    const double = defineModel({
      name: "double",
      inputs: { x: "float" },
      predict: (rows) => rows.map((r) => (r.x as number) * 2),
    });
    const { logger } = collectingLogger();
    const svc = await deploy([heuristicFile, double], { port: 0, logger, defaultModel: "double" });
    try {
      const res = await svc.app.inject({ method: "POST", url: "/predict", payload: { x: 4 } });
      assert.deepEqual(res.json(), { model: "double", version: "1", prediction: 8 });
    } finally {
      await svc.close();
    }
  });

  it("gives a model entry's own micro-batching settings to its model, and checks them", async () => {
    const forest = fileURLToPath(new URL("../examples/iris/models/random_forest.joblib", import.meta.url));
    const { logger } = collectingLogger();
    const svc = await deploy(
      [
        { path: forest, name: "own", microBatching: "on", microBatchMaxRows: 2, maxQueued: 8 },
        { path: forest, name: "plain" },
      ],
      { port: 0, logger, microBatching: "off" },
    );
    try {
      for (const name of ["own", "plain"]) {
        const res = await fetch(`${svc.url}/models/${name}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
        });
        assert.equal(((await res.json()) as { prediction: string }).prediction, "setosa");
      }
      const stats = (await (await fetch(`${svc.url}/stats`)).json()) as {
        batching: { mode: string; models?: unknown[] };
      };
      assert.equal(stats.batching.mode, "off");
      assert.deepEqual(stats.batching.models, [
        { model: "own", mode: "on", maxRows: 2, maxWaitUs: 500, maxQueued: 8 },
      ]);
    } finally {
      await svc.close();
    }
    await assert.rejects(
      deploy(
        [
          { path: forest, name: "rf", version: "1", microBatching: "on" },
          { path: forest, name: "rf", version: "2", microBatching: "off" },
        ],
        { port: 0, logger },
      ),
      (e: Error & { code?: string }) =>
        e.code === "MS_INVALID_CONFIG" &&
        /model rf has two entries with different micro-batching settings/.test(e.message),
    );
    await assert.rejects(
      deploy({ path: forest, microBatching: "sometimes" as "on" }, { port: 0, logger }),
      (e: Error & { code?: string }) =>
        e.code === "MS_INVALID_CONFIG" &&
        /microBatching \(from deploy\(\), model .*\) must be one of/.test(e.message),
    );
  });

  it("fails at once for a missing file", async () => {
    await assert.rejects(
      deploy("nope/model.joblib", { port: 0 }),
      (e: Error & { code?: string }) => e.code === "MS_MODEL_FILE_NOT_FOUND",
    );
  });

  it("loadModel returns the model with its info", async () => {
    const m = await loadModel(heuristicFile);
    assert.equal(m.info.runtime, "typescript");
    assert.equal(m.signature.inputs.length, 4);
  });
});

describe("request log and server faults", () => {
  it("writes one line per request with id, route, model, version, status and latency", async () => {
    const { lines, logger } = collectingLogger();
    const registry = new ModelRegistry();
    const def = defineModel({
      name: "m",
      inputs: { sepal_length: "float", sepal_width: "float", petal_length: "float", petal_width: "float" },
      predict: (rows) => rows.map(() => 1),
    });
    registry.register("m", "3", loadDefinition(def));
    const { fastify } = buildApp(registry, { logger });
    await fastify.inject({
      method: "POST",
      url: "/models/m/predict",
      payload: IRIS_ROW,
      headers: { "x-request-id": "req-1" },
    });
    await fastify.close();
    await new Promise((r) => setTimeout(r, 50));
    const reqLines = lines.filter((l) => l.msg === "request");
    assert.equal(reqLines.length, 1);
    const l = reqLines[0];
    assert.equal(l.reqId, "req-1");
    assert.equal(l.route, "/models/:name/predict");
    assert.equal(l.model, "m");
    assert.equal(l.version, "3");
    assert.equal(l.status, 200);
    assert.equal(typeof l.latencyMs, "number");
  });

  it("answers a failing model with 500 MS_INFERENCE_FAILED, logging the stack but never sending it", async () => {
    const { lines, logger } = collectingLogger();
    const registry = new ModelRegistry();
    const def = defineModel({
      name: "broken",
      inputs: { x: "float" },
      predict: () => {
        throw new Error("secret internal detail");
      },
    });
    registry.register("broken", "1", loadDefinition(def));
    const { fastify } = buildApp(registry, { logger });
    const res = await fastify.inject({ method: "POST", url: "/predict", payload: { x: 1 } });
    await fastify.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error.code, "MS_INFERENCE_FAILED");
    assert.doesNotMatch(res.body, /secret internal detail/);
    const err = lines.find((l) => l.msg === "inference failed") as
      | { err?: { stack?: string }; reqId?: string }
      | undefined;
    assert.ok(err?.err?.stack?.includes("secret internal detail"), "stack logged");
    assert.equal(err?.reqId, res.json().requestId);
  });
});
