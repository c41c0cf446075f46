import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it } from "node:test";
import Fastify from "fastify";
import heuristic from "../../examples/iris/heuristic.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { buildApp, DEFAULT_SETTINGS } from "../../src/server/app.ts";
import { createContext, modelservePlugin } from "../../src/server/plugin.ts";
import { IRIS_ROW, silent } from "../helpers.ts";

function registry() {
  const r = new ModelRegistry();
  r.register(heuristic.name, heuristic.version, loadDefinition(heuristic));
  return r;
}

describe("embedding", () => {
  it("mounts under a prefix in an existing Fastify app, leaving its other routes alone", async () => {
    const host = Fastify({ loggerInstance: silent });
    host.get("/own", async () => ({ mine: true }));
    host.post("/echo", async (req) => req.body);
    await host.register(modelservePlugin, {
      prefix: "/ml",
      context: createContext(registry(), DEFAULT_SETTINGS),
      logger: silent,
    });
    const pred = await host.inject({ method: "POST", url: "/ml/predict", payload: IRIS_ROW });
    assert.equal(pred.statusCode, 200);
    assert.equal(pred.json().prediction, "setosa");
    const bad = await host.inject({ method: "POST", url: "/ml/predict", payload: { nope: 1, ...IRIS_ROW } });
    assert.equal(bad.json().error.code, "MS_INVALID_INPUT");
    assert.deepEqual((await host.inject({ method: "GET", url: "/own" })).json(), { mine: true });
    assert.deepEqual(
      (
        await host.inject({
          method: "POST",
          url: "/echo",
          payload: "plain",
          headers: { "content-type": "text/plain" },
        })
      ).body,
      "plain",
      "the host keeps its own parsers",
    );
    const doc = (await host.inject({ method: "GET", url: "/ml/openapi.json" })).json();
    assert.deepEqual(doc.servers, [{ url: "/ml" }]);
    assert.match(
      (await host.inject({ method: "GET", url: "/ml/docs" })).body,
      /\/ml\/docs\/static\/swagger-ui-bundle\.js/,
    );
    assert.equal(
      (await host.inject({ method: "GET", url: "/ml/nope" })).json().error.code,
      "MS_ROUTE_NOT_FOUND",
    );
    await host.close();
  });

  it("serves from a plain node:http server through Fastify's router", async () => {
    const { fastify } = buildApp(registry(), { logger: silent });
    await fastify.ready();
    const server = createServer((req, res) => fastify.routing(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: [6.3, 3.3, 6.0, 2.5] }),
    });
    assert.equal(((await res.json()) as { prediction: string }).prediction, "virginica");
    await new Promise((r) => server.close(r));
    await fastify.close();
  });
});
