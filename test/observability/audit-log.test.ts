/** @module Tests of the audit (prediction) log: nothing lost uncounted, redaction, rotation, full disks. */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import autocannon from "autocannon";
import { accessKeys, loadConfig } from "../../src/config/config.ts";
import { appFor } from "../../src/deploy.ts";
import { AuditLog, maskValue, parseRedactRules } from "../../src/observability/audit-log.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { IRIS_ROW, makeApp, silent } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-audit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `audit-${++n}.jsonl`);
const linesOf = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** A customer model whose inputs hold personal data. */
const customer = defineModel({
  name: "customer",
  inputs: { email: "string", ssn: "string", name: "string", age: "float" },
  predict: (rows) => rows.map((r) => ((r.age as number) > 40 ? "gold" : "basic")),
  classes: ["basic", "gold"],
});

describe("audit log", () => {
  it("writes one line per prediction with request id, caller, model, version, inputs, outputs, latency", async () => {
    const target = fresh();
    const key = "audit-key-0123456789abcdef";
    const { fastify } = makeApp({
      audit: { target },
      access: { keys: accessKeys({ apiKeys: `svc:${key}:predict` }) },
    });
    const r = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { authorization: `Bearer ${key}`, "x-request-id": "req-1" },
    });
    assert.equal(r.statusCode, 200);
    const b = await fastify.inject({
      method: "POST",
      url: "/models/linear/predict/batch",
      payload: { instances: [{ a: 1, b: 2, color: "red", n: 1, flag: true, note: "x" }] },
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(b.statusCode, 200);
    // Refused requests are not predictions: not logged.
    await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: { nope: 1 },
      headers: { authorization: `Bearer ${key}` },
    });
    await fastify.close();
    const [one, two, ...rest] = linesOf(target);
    assert.equal(rest.length, 0);
    assert.equal(one.reqId, "req-1");
    assert.equal(one.keyId, "svc");
    assert.equal(one.model, "heuristic");
    assert.equal(one.route, "/predict");
    assert.equal(one.status, 200);
    assert.deepEqual(one.inputs, [IRIS_ROW]);
    assert.deepEqual(one.predictions, [r.json().prediction]);
    assert.deepEqual(one.probabilities, [r.json().probabilities]);
    assert.ok(one.latencyMs >= 0 && !Number.isNaN(Date.parse(one.time)));
    assert.ok(!readFileSync(target, "utf8").includes(key), "the key never reaches the audit log");
    assert.deepEqual(two.predictions, [4]);
    assert.equal(two.route, "/models/:name/predict/batch");
  });

  it("redacts fields (drop, salted hash, mask), by name in named and positional rows", async () => {
    const target = fresh();
    const registry = new ModelRegistry();
    registry.register("customer", "1", loadDefinition(customer));
    const app = appFor(
      registry,
      loadConfig({
        env: {},
        code: { auditLog: target, auditLogRedact: "email:hash,ssn:drop,name:mask", auditLogSalt: "pepper" },
      }),
      silent,
    );
    const row = { email: "ana.lopez@example.com", ssn: "078-05-1120", name: "Ana Lopez Garcia", age: 52 };
    assert.equal(
      (await app.fastify.inject({ method: "POST", url: "/predict", payload: row })).statusCode,
      200,
    );
    const positional = { features: ["bo@example.org", "219-09-9999", "Bo", 20] };
    assert.equal(
      (await app.fastify.inject({ method: "POST", url: "/predict", payload: positional })).statusCode,
      200,
    );
    await app.fastify.close();
    const raw = readFileSync(target, "utf8");
    for (const secret of [
      "ana.lopez@example.com",
      "078-05-1120",
      "Ana Lopez",
      "bo@example.org",
      "219-09-9999",
    ])
      assert.ok(!raw.includes(secret), `${secret} reached the audit log`);
    const [a, b] = linesOf(target);
    assert.deepEqual(a.inputs[0], {
      email: `sha256:${createHash("sha256").update("pepperana.lopez@example.com").digest("hex")}`,
      name: `${"*".repeat(12)}rcia`,
      age: 52,
    });
    assert.equal(a.inputs[0].name, maskValue("Ana Lopez Garcia"));
    assert.equal(b.inputs[0].ssn, undefined);
    assert.equal(b.inputs[0].name, "****");
    assert.equal(b.inputs[0].age, 20);
    assert.match(b.inputs[0].email, /^sha256:[0-9a-f]{64}$/);
  });

  it("loses no line under load that was not counted as dropped", async () => {
    for (const queue of [100_000, 3]) {
      const target = fresh();
      const { fastify, context } = makeApp({ audit: { target, queue } });
      await fastify.listen({ host: "127.0.0.1", port: 0 });
      const port = (fastify.server.address() as { port: number }).port;
      const res = await autocannon({
        url: `http://127.0.0.1:${port}/predict`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(IRIS_ROW),
        connections: 8,
        amount: 3000,
      });
      await fastify.close();
      const c = context.audit!.counters;
      const ok = res["2xx"];
      assert.equal(ok, 3000);
      assert.equal(c.accepted, ok);
      const lines = linesOf(target).length;
      assert.equal(lines, c.written, `queue ${queue}: lines in the file = entries counted as written`);
      assert.equal(
        c.written + c.droppedQueueFull + c.droppedWriteError,
        c.accepted,
        `queue ${queue}: nothing uncounted`,
      );
      if (queue === 3) assert.ok(c.droppedQueueFull > 0, "a tiny queue drops (and counts) under load");
      else assert.equal(c.droppedQueueFull, 0);
    }
  });

  it("keeps answering when the disk is full or the file unwritable, and counts the drops", async () => {
    for (const target of ["/dev/full", join(dir, "no-such-dir", "audit.jsonl")]) {
      const errors: Error[] = [];
      const { fastify, context } = makeApp({ audit: { target, onError: (e) => errors.push(e) } });
      for (let i = 0; i < 50; i++) {
        const r = await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
        assert.equal(r.statusCode, 200);
        if (i % 10 === 0) await context.audit!.flush();
      }
      await context.audit!.flush();
      const c = context.audit!.counters;
      assert.equal(c.written, 0, target);
      assert.equal(c.droppedWriteError, 50, target);
      assert.ok(c.writeErrors >= 1);
      assert.equal(errors.length, 1, "one report per minute, not one per entry");
      assert.match(errors[0].message, /ENOSPC|ENOENT/);
      const metrics = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
      assert.match(metrics, /modelserve_audit_dropped_total\{reason="write_error"\} 50/);
      const stats = (await fastify.inject({ method: "GET", url: "/stats" })).json();
      assert.equal(stats.auditLog.droppedWriteError, 50);
      await fastify.close();
    }
  });

  it("rotates by size and keeps a bounded number of files", async () => {
    const sub = mkdtempSync(join(dir, "rot-"));
    const target = join(sub, "audit.jsonl");
    const { fastify, context } = makeApp({ audit: { target, maxBytes: 4096, keep: 2 } });
    for (let i = 0; i < 200; i++) {
      await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
      await context.audit!.flush();
    }
    await fastify.close();
    assert.deepEqual(readdirSync(sub).sort(), ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]);
    for (const f of readdirSync(sub)) assert.ok(statSync(join(sub, f)).size <= 4096, f);
    const c = context.audit!.counters;
    assert.ok(c.rotations >= 3);
    // Rotated-away lines are gone by design; the ones kept are whole JSON lines.
    for (const f of readdirSync(sub))
      for (const l of linesOf(join(sub, f))) assert.equal(l.model, "heuristic");
  });

  it("samples a share of predictions before doing any work", async () => {
    const target = fresh();
    let i = 0;
    const log = new AuditLog({ target, sample: 0.25, random: () => (i++ % 4) / 4 });
    const { fastify } = makeApp({ audit: log });
    for (let k = 0; k < 40; k++) await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
    await fastify.close();
    assert.equal(log.counters.accepted, 10);
    assert.equal(log.counters.sampledOut, 30);
    assert.equal(linesOf(target).length, 10);
    assert.ok(!existsSync(`${target}.1`));
  });

  it("parses redaction rules and refuses unknown actions", () => {
    assert.deepEqual(parseRedactRules("email:hash, ssn:drop,name:mask"), {
      email: "hash",
      ssn: "drop",
      name: "mask",
    });
    assert.throws(() => parseRedactRules("email:encrypt"), /field:drop, field:hash or field:mask/);
    assert.throws(() => loadConfig({ env: { MODELSERVE_AUDIT_LOG_SAMPLE: "2" } }), /between 0 and 1/);
  });
});
