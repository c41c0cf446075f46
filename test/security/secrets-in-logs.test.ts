/**
 * @module A full server run with keys sent every way a client might (headers, query strings, wrong
 * routes, wrong schemes): no log line, stdout or stderr, nor the audit log, ever holds a key.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { IRIS_ROW } from "../helpers.ts";
import { ROOT, startServer } from "../server-process.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-secrets-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const VALID = "valid-key-7f3a9c2e5b1d4f6a8c0e";
const ADMIN = "admin-key-0b9d8c7a6e5f4d3c2b1a";
const WRONG = "wrong-key-a1b2c3d4e5f6a7b8c9d0";

describe("secrets never logged", () => {
  it("keeps every key used out of every log line of a full run", { timeout: 60_000 }, async () => {
    const audit = join(dir, "audit.jsonl");
    const server = await startServer(
      [join(ROOT, "examples/iris/heuristic.ts"), "--log-level", "trace", "--audit-log", audit, "--admin"],
      { env: { MODELSERVE_API_KEYS: `app:${VALID}:predict+read,ops:${ADMIN}:admin+read+predict` } },
    );
    const post = (path: string, headers: Record<string, string> = {}, body: unknown = IRIS_ROW) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { headers });
    const statuses: number[] = [];
    const calls = [
      post("/predict", { authorization: `Bearer ${VALID}` }),
      post("/predict", { "x-api-key": VALID }),
      post("/predict/batch", { authorization: `Bearer ${ADMIN}` }, { instances: [IRIS_ROW, [1, 2, 3, 4]] }),
      post(`/predict?api_key=${VALID}`),
      post(`/predict?key=${VALID}&x=1`),
      post(`/predict?token=${VALID}`, { authorization: `Bearer ${WRONG}` }),
      post(`/predict?access_token=${ADMIN}`),
      post(`/predict?password=${ADMIN}`),
      post(`/predict?secret=${ADMIN}`),
      post(`/predict?${VALID}`),
      get(`/no/such/route?api_key=${VALID}`),
      get(`/models?token=${ADMIN}`),
      get(`/health/ready?access_token=${VALID}`),
      get("/models", { authorization: `Basic ${Buffer.from(`user:${VALID}`).toString("base64")}` }),
      get("/models", { authorization: `Bearer ${WRONG}` }),
      get("/models", { cookie: `session=${VALID}` }),
      get("/admin/models", { authorization: `Bearer ${ADMIN}` }),
      post("/predict", { authorization: `Bearer ${VALID}` }, { sepal_length: VALID }),
      post("/predict", { authorization: `Bearer ${VALID}` }, "{not json"),
    ];
    for (const c of calls) statuses.push((await c).status);
    // The requests did what they should: the valid ones answered, the others were refused.
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(
      statuses.slice(3, 10).every((s) => s === 401),
      String(statuses),
    );
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    const logs = `${server.stdout()}\n${server.stderr()}`;
    const auditText = readFileSync(audit, "utf8");
    // The run was logged (one line per request), with the query values redacted.
    assert.ok(logs.split("\n").filter((l) => l.includes('"msg":"request"')).length >= calls.length);
    assert.ok(logs.includes('"url":"/predict?api_key=[redacted]"'), "query-string keys are logged redacted");
    assert.ok(logs.includes('"url":"/no/such/route?api_key=[redacted]"'));
    assert.equal(auditText.trim().split("\n").length, 3);
    for (const secret of [VALID, ADMIN, WRONG, Buffer.from(`user:${VALID}`).toString("base64")]) {
      assert.ok(!logs.includes(secret), `a key reached the logs: ${secret}`);
      assert.ok(!auditText.includes(secret), `a key reached the audit log: ${secret}`);
    }
  });
});
