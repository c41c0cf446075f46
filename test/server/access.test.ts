import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import pino from "pino";
import { accessKeys, loadConfig } from "../../src/config/config.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { hashKey, parseKeyList } from "../../src/security/api-keys.ts";
import { buildApp } from "../../src/server/app.ts";
import { AUTH_FAILURES_PER_WINDOW, scopeOf } from "../../src/server/plugins/access.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

const PREDICT_KEY = "predict-key-0123456789abcdef";
const READ_KEY = "read-key-0123456789abcdef";
const ADMIN_KEY = "admin-key-0123456789abcdef";
const keys = accessKeys({
  apiKeys: `svc:${PREDICT_KEY}:predict,dash:${READ_KEY}:read,ops:${ADMIN_KEY}:admin+read`,
});

/** An app with keys whose request log lines are captured. */
function appWithKeys(extra: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const app = makeApp({
    logger: pino({ level: "info" }, sink),
    admin: true,
    access: { keys, ...extra },
  });
  return { ...app, lines };
}

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

describe("API keys", () => {
  it("answers 401 on every protected route without a key, with WWW-Authenticate", async () => {
    const { fastify } = appWithKeys();
    const routes: [string, string][] = [
      ["POST", "/predict"],
      ["POST", "/predict/batch"],
      ["POST", "/predict_proba"],
      ["POST", "/models/heuristic/predict"],
      ["GET", "/models"],
      ["GET", "/models/heuristic"],
      ["GET", "/metrics"],
      ["GET", "/stats"],
      ["GET", "/admin/models"],
      ["PUT", "/admin/models/heuristic/default"],
      ["GET", "/"],
      ["GET", "/no-such-route"],
    ];
    for (const [method, url] of routes) {
      const res = await fastify.inject({
        method: method as "GET",
        url,
        payload: method === "GET" ? undefined : IRIS_ROW,
      });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.json().error.code, "MS_UNAUTHORIZED");
      assert.match(String(res.headers["www-authenticate"]), /^Bearer realm="modelserve"/);
    }
    const wrong = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer("nope-nope-nope-nope"),
    });
    assert.equal(wrong.statusCode, 401);
    assert.match(String(wrong.headers["www-authenticate"]), /invalid_token/);
  });

  it("keeps health probes and (by default) the docs open", async () => {
    const { fastify } = appWithKeys();
    for (const url of ["/health", "/health/live", "/health/ready", "/docs", "/redoc", "/openapi.json"]) {
      const res = await fastify.inject({ method: "GET", url });
      assert.equal(res.statusCode, 200, url);
    }
  });

  it("protects the docs with docsAuth", async () => {
    const { fastify } = appWithKeys({ docsAuth: true });
    for (const url of ["/docs", "/redoc", "/openapi.json", "/docs/static/init.js"]) {
      assert.equal((await fastify.inject({ method: "GET", url })).statusCode, 401, url);
      assert.equal(
        (await fastify.inject({ method: "GET", url, headers: bearer(READ_KEY) })).statusCode,
        200,
        url,
      );
    }
    assert.equal((await fastify.inject({ method: "GET", url: "/health/ready" })).statusCode, 200);
  });

  it("enforces scopes: 403 names the missing scope", async () => {
    const { fastify } = appWithKeys();
    const ok = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().prediction, "setosa");
    const viaHeader = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { "x-api-key": PREDICT_KEY },
    });
    assert.equal(viaHeader.statusCode, 200);
    const readOnPredict = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(READ_KEY),
    });
    assert.equal(readOnPredict.statusCode, 403);
    assert.equal(readOnPredict.json().error.code, "MS_FORBIDDEN");
    assert.deepEqual(readOnPredict.json().error.details, { keyId: "dash", requiredScope: "predict" });
    for (const [method, url] of [
      ["GET", "/admin/models"],
      ["PUT", "/admin/models/heuristic/default"],
      ["POST", "/admin/models/heuristic/rollback"],
    ] as const) {
      const res = await fastify.inject({
        method,
        url,
        headers: bearer(READ_KEY),
        payload: method === "GET" ? undefined : {},
      });
      assert.equal(res.statusCode, 403, `${method} ${url} with a read key`);
      assert.equal(res.json().error.details.requiredScope, "admin");
    }
    assert.equal(
      (await fastify.inject({ method: "GET", url: "/models", headers: bearer(PREDICT_KEY) })).statusCode,
      403,
    );
    assert.equal(
      (await fastify.inject({ method: "GET", url: "/models", headers: bearer(READ_KEY) })).statusCode,
      200,
    );
    assert.equal(
      (await fastify.inject({ method: "GET", url: "/admin/models", headers: bearer(ADMIN_KEY) })).statusCode,
      200,
    );
  });

  it("logs the key id, never the key", async () => {
    const { fastify, lines } = appWithKeys();
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW, headers: bearer(READ_KEY) });
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { "x-api-key": "x".repeat(20) },
    });
    await fastify.inject({ method: "GET", url: "/admin/models", headers: bearer(READ_KEY) });
    const log = lines.join("");
    const req = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    assert.equal(req.length, 4);
    assert.equal(req[0].keyId, "svc");
    assert.equal(req[1].keyId, "dash");
    assert.equal(req[1].status, 403);
    for (const k of [PREDICT_KEY, READ_KEY, ADMIN_KEY, "x".repeat(20)])
      assert.ok(!log.includes(k), "a key reached the log");
  });

  it("adds nothing when no keys are configured", async () => {
    const { fastify } = makeApp();
    assert.equal(
      (await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).statusCode,
      200,
    );
  });

  it("maps routes to scopes", () => {
    assert.equal(scopeOf("/health/ready", true), null);
    assert.equal(scopeOf("/models/a/versions/2/predict_proba/batch", false), "predict");
    assert.equal(scopeOf("/admin/models", false), "admin");
    assert.equal(scopeOf("/openapi.json", false), null);
    assert.equal(scopeOf("/openapi.json", true), "read");
    assert.equal(scopeOf("/stats", false), "read");
  });
});

describe("API key sources", () => {
  it("parses the environment list with ids, default scopes and refusals", () => {
    const [bare, named] = parseKeyList(`${PREDICT_KEY}, ci:${READ_KEY}:read+admin`);
    assert.equal(bare.id, `key-${hashKey(PREDICT_KEY).slice(0, 8)}`);
    assert.deepEqual([...bare.scopes], ["predict", "read"]);
    assert.deepEqual([...named.scopes].sort(), ["admin", "read"]);
    assert.throws(() => parseKeyList("short"), /at least 16/);
    assert.throws(() => parseKeyList(`a:${PREDICT_KEY}:write`), /unknown scope "write"/);
    assert.throws(() => accessKeys({ apiKeys: `a:${PREDICT_KEY},a:${READ_KEY}` }), /share the id "a"/);
  });

  it("reads hashed keys from a file and refuses plaintext or malformed entries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-keys-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "keys.json");
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ id: "etl", sha256: hashKey(ADMIN_KEY), scopes: ["predict"] }] }),
    );
    const checker = accessKeys({ apiKeysFile: file });
    assert.equal(checker.match(ADMIN_KEY)?.id, "etl");
    assert.equal(checker.match(`${ADMIN_KEY}x`), undefined);
    assert.ok(!readFileSync(file, "utf8").includes(ADMIN_KEY));
    writeFileSync(file, JSON.stringify({ keys: [{ id: "etl", key: ADMIN_KEY }] }));
    assert.throws(() => accessKeys({ apiKeysFile: file }), /sha256/);
  });

  it("`modelserve keys new` prints a key once and a matching entry; `keys hash` hashes stdin", () => {
    const bin = new URL("../../bin/modelserve.js", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, "keys", "new", "--id", "ci", "--scopes", "predict,admin"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const key = /key \(shown once; give it to the client\): (\S+)/.exec(r.stderr)![1];
    const entry = JSON.parse(r.stdout);
    assert.deepEqual(entry, { id: "ci", sha256: hashKey(key), scopes: ["predict", "admin"] });
    const h = execFileSync(process.execPath, [bin, "keys", "hash"], { input: `${key}\n`, encoding: "utf8" });
    assert.equal(h.trim(), hashKey(key));
  });
});

describe("production preset", () => {
  it("refuses to start without keys, and turns on limits that explicit values override", () => {
    assert.throws(
      () => loadConfig({ env: { MODELSERVE_PRODUCTION: "1" } }),
      /production mode needs API keys/,
    );
    const c = loadConfig({
      env: { MODELSERVE_PRODUCTION: "true", MODELSERVE_API_KEYS: PREDICT_KEY, MODELSERVE_RATE_LIMIT: "50" },
    });
    assert.equal(c.rateLimit, 50);
    assert.equal(c.maxInflight, 256);
    assert.equal(c.inferenceTimeoutMs, 30_000);
    assert.equal(c.requestTimeoutMs, 30_000);
    assert.equal(c.docsAuth, true);
    assert.equal(c.logFormat, "json");
  });

  it("exits 2 with one line from the CLI", () => {
    const bin = new URL("../../bin/modelserve.js", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, "serve", "--production", "examples/iris/heuristic.ts"], {
      encoding: "utf8",
      env: { ...process.env, MODELSERVE_API_KEYS: "" },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^modelserve: invalid configuration: production mode needs API keys/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
});

describe("limits", () => {
  it("rate-limits per key with 429, Retry-After and RateLimit headers; health stays exempt", async () => {
    const { fastify, lines } = appWithKeys({ rateLimit: 3, rateLimitWindowMs: 60_000 });
    const send = (k: string) =>
      fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW, headers: bearer(k) });
    for (let i = 0; i < 3; i++) {
      const ok = await send(PREDICT_KEY);
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers["ratelimit-limit"], "3");
      assert.equal(ok.headers["ratelimit-remaining"], String(2 - i));
    }
    const limited = await send(PREDICT_KEY);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, "MS_RATE_LIMITED");
    assert.ok(Number(limited.headers["retry-after"]) >= 1);
    assert.equal(limited.headers["ratelimit-remaining"], "0");
    // Another key has its own budget; probes are never limited.
    assert.equal(
      (await fastify.inject({ method: "GET", url: "/models", headers: bearer(READ_KEY) })).statusCode,
      200,
    );
    for (let i = 0; i < 5; i++)
      assert.equal((await fastify.inject({ method: "GET", url: "/health/ready" })).statusCode, 200);
    assert.ok(!lines.join("").includes(PREDICT_KEY));
  });

  it("rate-limits per client IP without keys", async () => {
    const { fastify } = makeApp({ access: { rateLimit: 2 } });
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).statusCode);
    assert.deepEqual(codes, [200, 200, 429]);
  });

  it("answers 503 + Retry-After beyond maxInflight instead of queueing", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = defineModel({
      name: "slow",
      inputs: { x: "float" },
      predict: async (rows) => {
        await gate;
        return rows.map(() => 1);
      },
    });
    const registry = new ModelRegistry();
    registry.register("slow", "1", loadDefinition(slow));
    const { fastify } = buildApp(registry, { logger: pino({ level: "silent" }), maxInflight: 2 });
    const first = [1, 2].map(() => fastify.inject({ method: "POST", url: "/predict", payload: { x: 1 } }));
    await new Promise((r) => setTimeout(r, 20));
    const third = await fastify.inject({ method: "POST", url: "/predict", payload: { x: 1 } });
    assert.equal(third.statusCode, 503);
    assert.equal(third.json().error.code, "MS_OVERLOADED");
    assert.equal(third.headers["retry-after"], "1");
    release();
    for (const r of await Promise.all(first)) assert.equal(r.statusCode, 200);
    assert.equal(
      (await fastify.inject({ method: "POST", url: "/predict", payload: { x: 1 } })).statusCode,
      200,
    );
  });

  it("answers 503 MS_INFERENCE_TIMEOUT when a prediction runs past the timeout, and keeps serving", async () => {
    let calls = 0;
    const slow = defineModel({
      name: "slow",
      inputs: { x: "float" },
      predict: async (rows) => {
        calls++;
        if (rows[0].x === 1) await new Promise((r) => setTimeout(r, 300));
        return rows.map(() => 1);
      },
    });
    const registry = new ModelRegistry();
    const v = registry.register("slow", "1", loadDefinition(slow));
    const { fastify } = buildApp(registry, { logger: pino({ level: "silent" }), inferenceTimeoutMs: 50 });
    const res = await fastify.inject({ method: "POST", url: "/predict", payload: { x: 1 } });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, "MS_INFERENCE_TIMEOUT");
    assert.equal(res.json().error.details.timeoutMs, 50);
    // The timed-out prediction still counts as in flight until it really ends.
    assert.equal(registry.inflight(v), 1);
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(registry.inflight(v), 0);
    assert.equal(
      (await fastify.inject({ method: "POST", url: "/predict", payload: { x: 2 } })).statusCode,
      200,
    );
    assert.equal(calls, 2);
  });
});

describe("CORS and docs headers", () => {
  it("sends no CORS headers by default", async () => {
    const { fastify } = makeApp();
    const res = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { origin: "https://app.example" },
    });
    assert.equal(res.headers["access-control-allow-origin"], undefined);
  });

  it("answers preflights for allowed origins only, without a key", async () => {
    const { fastify } = appWithKeys({ cors: "https://app.example" });
    const pre = await fastify.inject({
      method: "OPTIONS",
      url: "/predict",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "https://app.example");
    assert.match(String(pre.headers["access-control-allow-headers"]), /authorization/);
    const other = await fastify.inject({
      method: "OPTIONS",
      url: "/predict",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.notEqual(other.headers["access-control-allow-origin"], "https://evil.example");
    const res = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { origin: "https://app.example", ...bearer(PREDICT_KEY) },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["access-control-allow-origin"], "https://app.example");
  });

  it("serves the docs pages with security headers and their assets from this server", async () => {
    const { fastify } = makeApp();
    for (const url of ["/docs", "/redoc"]) {
      const res = await fastify.inject({ method: "GET", url });
      assert.match(String(res.headers["content-security-policy"]), /script-src 'self'/);
      assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["x-frame-options"], "DENY");
      assert.doesNotMatch(res.body, /<script>/, "no inline script (the CSP forbids it)");
      for (const src of res.body.matchAll(/(?:src|href)="([^"]+)"/g)) {
        const asset = await fastify.inject({ method: "GET", url: src[1] });
        assert.equal(asset.statusCode, 200, src[1]);
      }
    }
  });
});

describe("HTTPS", () => {
  it("serves HTTPS with a key and certificate", async (t) => {
    if (spawnSync("openssl", ["version"]).status !== 0)
      assert.fail("openssl is needed to make a test certificate");
    const dir = mkdtempSync(join(tmpdir(), "ms-tls-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
      ],
      { stdio: "ignore" },
    );
    const { fastify } = makeApp({ https: { key: readFileSync(key), cert: readFileSync(cert) } });
    await fastify.listen({ host: "127.0.0.1", port: 0 });
    t.after(() => fastify.close());
    const port = (fastify.server.address() as { port: number }).port;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port,
          path: "/predict",
          method: "POST",
          ca: readFileSync(cert),
          servername: "localhost",
          headers: { "content-type": "application/json" },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(IRIS_ROW));
    });
    assert.equal(JSON.parse(body).prediction, "setosa");
  });

  it("needs both tlsKey and tlsCert", () => {
    assert.throws(() => loadConfig({ env: { MODELSERVE_TLS_KEY: "/k.pem" } }), /both tlsKey and tlsCert/);
  });
});

describe("OpenAPI with API keys", () => {
  it("declares bearer and X-API-Key schemes for every operation, and leaves the probes open", async () => {
    const { fastify } = appWithKeys();
    const doc = (await fastify.inject({ method: "GET", url: "/openapi.json" })).json();
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["apiKey", "bearer"]);
    assert.deepEqual(doc.components.securitySchemes.apiKey, {
      type: "apiKey",
      in: "header",
      name: "X-API-Key",
      description: "The API key in X-API-Key",
    });
    assert.deepEqual(doc.security, [{ bearer: [] }, { apiKey: [] }]);
    for (const p of ["/health", "/health/live", "/health/ready"])
      assert.deepEqual(doc.paths[p].get.security, [], p);
    assert.equal(doc.paths["/predict"].post.security, undefined, "inherits the global requirement");
    const open = (await makeApp().fastify.inject({ method: "GET", url: "/openapi.json" })).json();
    assert.equal(open.security, undefined);
    assert.equal(open.components.securitySchemes, undefined);
  });
});

describe("limits behind a proxy, and their metrics", () => {
  it("keys the per-IP limit by X-Forwarded-For only when trustProxy is on", async () => {
    const send = (app: ReturnType<typeof makeApp>, ip: string) =>
      app.fastify.inject({
        method: "POST",
        url: "/predict",
        payload: IRIS_ROW,
        headers: { "x-forwarded-for": ip },
      });
    const trusting = makeApp({ trustProxy: true, access: { rateLimit: 1 } });
    assert.equal((await send(trusting, "203.0.113.7")).statusCode, 200);
    assert.equal((await send(trusting, "203.0.113.8")).statusCode, 200, "another client behind the proxy");
    assert.equal((await send(trusting, "203.0.113.7")).statusCode, 429);
    const direct = makeApp({ access: { rateLimit: 1 } });
    assert.equal((await send(direct, "203.0.113.7")).statusCode, 200);
    assert.equal(
      (await send(direct, "203.0.113.8")).statusCode,
      429,
      "forged headers are ignored without trustProxy",
    );
  });

  it("counts 401, 403 and 429 answers by code in /metrics", async () => {
    // A budget of 2: the one failed authentication stays under it; the third predict call goes over.
    const { fastify } = appWithKeys({ rateLimit: 2 });
    await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
    await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW, headers: bearer(READ_KEY) });
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    const text = (await fastify.inject({ method: "GET", url: "/metrics", headers: bearer(ADMIN_KEY) })).body;
    for (const code of ["MS_UNAUTHORIZED", "MS_FORBIDDEN", "MS_RATE_LIMITED"])
      assert.match(text, new RegExp(`modelserve_errors_total\\{code="${code}"\\} 1\\n`), code);
  });
});

describe("key guessing", () => {
  it("throttles an IP's failing keys, never a valid key from the same IP (a shared NAT or gateway)", async () => {
    const { fastify } = appWithKeys({ rateLimit: 3 });
    const guess = async (i: number) =>
      (
        await fastify.inject({
          method: "POST",
          url: "/predict",
          payload: IRIS_ROW,
          headers: bearer(`guess-${i}-0123456789abcdef`),
        })
      ).statusCode;
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push(await guess(i));
    assert.deepEqual(codes, [401, 401, 401, 429, 429]);
    // The right key from that very address is answered: only failures are throttled.
    const right = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
    });
    assert.equal(right.statusCode, 200);
    // …while the next bad key from it is still refused with 429 and told when to come back.
    const again = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer("guess-again-0123456789abcdef"),
    });
    assert.equal(again.statusCode, 429);
    assert.equal(again.json().error.code, "MS_RATE_LIMITED");
    assert.ok(Number(again.headers["retry-after"]) >= 1);
    // A missing key counts as a failure too.
    assert.equal(
      (await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).statusCode,
      429,
    );
    // Another address is unaffected; probes stay open.
    const other = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: bearer(PREDICT_KEY),
      remoteAddress: "10.0.0.9",
    });
    assert.equal(other.statusCode, 200);
    assert.equal((await fastify.inject({ method: "GET", url: "/health/ready" })).statusCode, 200);
  });

  it("applies a default failure budget even without a configured rate limit", async () => {
    const { fastify } = appWithKeys();
    let last = 0;
    for (let i = 0; i <= AUTH_FAILURES_PER_WINDOW; i++)
      last = (await fastify.inject({ method: "GET", url: "/models", headers: bearer("nope-nope-nope-nope") }))
        .statusCode;
    assert.equal(last, 429);
  });
});
