/**
 * Fastify's schema compilers load only when a route with a schema needs them, and then behave exactly
 * as Fastify's defaults: the same validation answers (body, header names in any case, query) and the
 * same serialization of a response schema.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import Fastify, { type FastifyInstance } from "fastify";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { buildApp } from "../../src/server/app.ts";
import { lazySchemaController, markDefaultCompilers } from "../../src/server/lazy-compilers.ts";

const ROUTE = {
  schema: {
    headers: {
      type: "object",
      required: ["X-Tenant"],
      properties: { "X-Tenant": { type: "string", minLength: 2 } },
    },
    querystring: { type: "object", properties: { n: { type: "integer" } } },
    body: {
      type: "object",
      required: ["a"],
      properties: { a: { type: "number" }, when: { type: "string", format: "date" } },
    },
    response: {
      200: { type: "object", properties: { a: { type: "number" }, n: { type: "integer" } } },
    },
  },
};

function withRoute(app: FastifyInstance): FastifyInstance {
  app.post("/thing", ROUTE, async (req) => ({
    ...(req.body as object),
    n: (req.query as { n?: number }).n,
    secret: "not in the response schema",
  }));
  return app;
}

const REQUESTS = [
  { headers: { "x-tenant": "ab" }, payload: { a: 1 }, url: "/thing?n=3" },
  { headers: { "X-TENANT": "abc" }, payload: { a: 2, when: "2026-12-06" }, url: "/thing" },
  { headers: {}, payload: { a: 1 }, url: "/thing" },
  { headers: { "x-tenant": "a" }, payload: { a: 1 }, url: "/thing" },
  { headers: { "x-tenant": "ab" }, payload: { a: "x" }, url: "/thing" },
  { headers: { "x-tenant": "ab" }, payload: { a: 1, when: "yesterday" }, url: "/thing" },
  { headers: { "x-tenant": "ab" }, payload: { a: 1 }, url: "/thing?n=x" },
];

describe("lazy schema compilers", () => {
  it("answer every request as Fastify's default compilers do", async () => {
    const lazy = Fastify({ schemaController: lazySchemaController() });
    markDefaultCompilers(lazy);
    const apps = [withRoute(Fastify()), withRoute(lazy)];
    for (const r of REQUESTS) {
      const [want, got] = await Promise.all(apps.map((a) => a.inject({ method: "POST", ...r })));
      assert.equal(got!.statusCode, want!.statusCode, JSON.stringify(r));
      assert.equal(got!.body, want!.body, JSON.stringify(r));
    }
    // The cases above include a success, refusals of each part and a stripped response field.
    assert.equal((await apps[1]!.inject({ method: "POST", ...REQUESTS[0]! })).body, '{"a":1,"n":3}');
    await Promise.all(apps.map((a) => a.close()));
  });

  it("validate a schema route added to modelserve's own app", async () => {
    const app = buildApp(new ModelRegistry(), {});
    withRoute(app.fastify);
    const ok = await app.fastify.inject({ method: "POST", ...REQUESTS[0]! });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, '{"a":1,"n":3}');
    const bad = await app.fastify.inject({ method: "POST", ...REQUESTS[2]! });
    assert.equal(bad.statusCode, 400);
    await app.fastify.close();
  });

  it("are not loaded by a modelserve app whose routes have no schema", async () => {
    const code = `
      import { createRequire } from "node:module";
      const { buildApp } = await import(${JSON.stringify(new URL("../../src/server/app.ts", import.meta.url).href)});
      const { ModelRegistry } = await import(${JSON.stringify(new URL("../../src/registry/model-registry.ts", import.meta.url).href)});
      const app = buildApp(new ModelRegistry(), {});
      await app.fastify.ready();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      // Fastify's prebuilt error serializer uses fast-json-stringify's small runtime; the compilers are apart.
      const compilers = /ajv|fast-json-stringify-compiler|fast-json-stringify[/]index[.]js/;
      process.stdout.write(JSON.stringify(loaded.filter((k) => compilers.test(k))));
      await app.fastify.close();
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", code],
      { timeout: 60_000 },
    );
    assert.equal(stdout, "[]");
  });
});
