/**
 * @module Slow and many clients over real sockets: trickled headers, silent connections and trickled
 * bodies are cut by their timeouts; connection caps (total and per IP) refuse at accept time.
 */

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import type { AppOptions } from "../../src/server/app.ts";
import { makeApp } from "../helpers.ts";

const apps: { close(): Promise<unknown> }[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

async function listening(options: AppOptions): Promise<number> {
  const { fastify } = makeApp(options);
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  apps.push(fastify);
  return (fastify.server.address() as { port: number }).port;
}

/** Opens a socket; resolves once connected. */
function open(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, localAddress }, () => resolve(s));
    s.on("error", reject);
  });
}

/** Resolves with how long after `since` the socket closed, and what it received. */
function closedAfter(s: Socket, since: number): Promise<{ ms: number; data: string }> {
  let data = "";
  s.on("data", (d) => {
    data += d;
  });
  s.on("error", () => undefined);
  return new Promise((resolve) => s.on("close", () => resolve({ ms: Date.now() - since, data })));
}

/** Writes `chunks` one every `everyMs` until the socket closes. */
function trickle(s: Socket, chunks: string[], everyMs: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || i >= chunks.length) return clearInterval(t);
    s.write(chunks[i++]);
  }, everyMs);
  s.on("close", () => clearInterval(t));
}

describe("slow clients", () => {
  it("cuts trickled headers and silent connections at the headers timeout", { timeout: 20_000 }, async () => {
    const port = await listening({ headersTimeoutMs: 1000, requestTimeoutMs: 5000 });
    const t0 = Date.now();
    const silent = await open(port);
    const slow = await open(port);
    const silentClosed = closedAfter(silent, t0);
    const slowClosed = closedAfter(slow, t0);
    trickle(
      slow,
      ["POST /predict HTTP/1.1\r\n", ..."Host: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaa".split("")],
      100,
    );
    const [a, b] = await Promise.all([silentClosed, slowClosed]);
    // 1 s timeout, checked every 250 ms: closed between 1 and ~1.5 s (plus scheduling slack).
    for (const r of [a, b]) {
      assert.ok(r.ms >= 900 && r.ms < 3000, `closed after ${r.ms} ms`);
    }
    assert.match(b.data, /^HTTP\/1\.1 408/);
  });

  it("cuts a trickled body at the request timeout", { timeout: 20_000 }, async () => {
    const port = await listening({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const s = await open(port);
    const t0 = Date.now();
    const closed = closedAfter(s, t0);
    s.write(
      "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    trickle(
      s,
      Array.from({ length: 200 }, () => " "),
      100,
    );
    const r = await closed;
    assert.ok(r.ms >= 1900 && r.ms < 4000, `closed after ${r.ms} ms`);
    assert.match(r.data, /^HTTP\/1\.1 408/);
  });
});

describe("many clients", () => {
  it("refuses connections past the total cap at accept time", { timeout: 20_000 }, async () => {
    const port = await listening({ maxConnections: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    const extra = await open(port);
    const r = await closedAfter(extra, Date.now());
    assert.equal(r.data, "", "refused without an answer");
    assert.ok(r.ms < 1000);
    // The held ones still work.
    const ok = closedAfter(held[0], Date.now());
    held[0].end("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match((await ok).data, /^HTTP\/1\.1 200/);
    for (const h of held) h.destroy();
  });

  it("refuses connections past the per-IP cap, other addresses unaffected", { timeout: 20_000 }, async () => {
    const port = await listening({ maxConnectionsPerIp: 3 });
    const held = await Promise.all(Array.from({ length: 3 }, () => open(port, "127.0.0.1")));
    const extra = await open(port, "127.0.0.1");
    const r = await closedAfter(extra, Date.now());
    assert.equal(r.data, "");
    // Another client address (loopback has the whole 127/8) still gets in and is answered.
    const other = await open(port, "127.0.0.2");
    const answered = closedAfter(other, Date.now());
    other.end("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match((await answered).data, /^HTTP\/1\.1 200/);
    // A slot freed by a closed connection is reusable.
    held[0].destroy();
    await new Promise((res) => setTimeout(res, 100));
    const again = await open(port, "127.0.0.1");
    const againAnswered = closedAfter(again, Date.now());
    again.end("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match((await againAnswered).data, /^HTTP\/1\.1 200/);
    for (const h of held) h.destroy();
  });
});
