/** @module Audit durability modes: `each` writes before the answer (or refuses it), `interval` fsyncs on a timer. */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AuditLog } from "../../src/observability/audit-log.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-audit-sync-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (reqId: string) => ({
  reqId,
  time: Date.now(),
  model: "m",
  version: "1",
  route: "/predict",
  status: 200,
  latencyMs: 1,
  inputs: [[1, 2]],
  inputNames: ["a", "b"],
  predictions: [0],
});

describe("audit sync", () => {
  it("each: a durable record is in the file when its promise resolves", async () => {
    const target = join(dir, "each.jsonl");
    const log = new AuditLog({ target, sync: "each" });
    await Promise.all(["r1", "r2", "r3"].map((id) => log.recordDurable(entry(id))));
    const lines = readFileSync(target, "utf8").trim().split("\n");
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).reqId),
      ["r1", "r2", "r3"],
    );
    assert.deepEqual(JSON.parse(lines[0]).inputs, [{ a: 1, b: 2 }]);
    await log.close();
    await assert.rejects(log.recordDurable(entry("late")), /closed/);
  });

  it("each: the answer is written after its record, and withheld (503) when the record cannot be", async () => {
    const target = join(dir, "each-app.jsonl");
    const { fastify } = makeApp({ audit: { target, sync: "each" } });
    const r = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: IRIS_ROW,
      headers: { "x-request-id": "seen" },
    });
    assert.equal(r.statusCode, 200);
    // No flush, no close: the line is already on disk when the answer is.
    assert.equal(JSON.parse(readFileSync(target, "utf8").trim()).reqId, "seen");
    await fastify.close();

    const unwritable = join(dir, "a-directory");
    mkdirSync(unwritable);
    const broken = makeApp({ audit: { target: unwritable, sync: "each" } });
    const refused = await broken.fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.json().error.code, "MS_AUDIT_UNAVAILABLE");
    assert.ok(!("prediction" in refused.json()));
    assert.equal(broken.context.audit!.counters.droppedWriteError, 1);
    await broken.fastify.close();
  });

  it("none and interval: the answer does not wait, records are written soon after", async () => {
    for (const sync of ["none", "interval"] as const) {
      const target = join(dir, `${sync}.jsonl`);
      const { fastify, context } = makeApp({ audit: { target, sync, syncIntervalMs: 20 } });
      for (let i = 0; i < 5; i++)
        assert.equal(
          (await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW })).statusCode,
          200,
        );
      await context.audit!.flush();
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(readFileSync(target, "utf8").trim().split("\n").length, 5, sync);
      await fastify.close();
    }
  });
});
