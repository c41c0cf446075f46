/** @module Per-key rate limiting over real HTTP (loopback, bounded): one key throttled, another not, no key in logs. */

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { it } from "node:test";
import autocannon from "autocannon";
import pino from "pino";
import { accessKeys } from "../../src/config/config.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

it("throttles a busy key with 429 + Retry-After while another key keeps its own budget", async () => {
  const busy = "busy-key-0123456789abcdef";
  const calm = "calm-key-0123456789abcdef";
  let logged = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logged += String(chunk);
      cb();
    },
  });
  const { fastify } = makeApp({
    logger: pino({ level: "info" }, sink),
    access: {
      keys: accessKeys({ apiKeys: `busy:${busy}:predict,calm:${calm}:predict` }),
      rateLimit: 200,
      rateLimitWindowMs: 60_000,
    },
  });
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  try {
    const port = (fastify.server.address() as { port: number }).port;
    const statuses = new Map<number, number>();
    const res = await autocannon({
      url: `http://127.0.0.1:${port}/predict`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${busy}` },
      body: JSON.stringify(IRIS_ROW),
      connections: 4,
      amount: 1000,
      setupClient: (client) => {
        client.on("response", (statusCode: number) => {
          statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
        });
      },
    });
    assert.equal(res.errors, 0);
    assert.equal(statuses.get(200), 200, "exactly the budget is answered");
    assert.equal(statuses.get(429), 800);
    // Still throttled after the run: the answer says when to come back.
    const again = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": busy },
      body: JSON.stringify(IRIS_ROW),
    });
    assert.equal(again.status, 429);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, "MS_RATE_LIMITED");
    assert.ok(Number(again.headers.get("retry-after")) >= 1);
    const other = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${calm}` },
      body: JSON.stringify(IRIS_ROW),
    });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("ratelimit-remaining"), "199");
  } finally {
    await fastify.close();
  }
  assert.ok(logged.includes('"keyId":"busy"'));
  assert.ok(!logged.includes(busy) && !logged.includes(calm), "no key in the logs");
});
