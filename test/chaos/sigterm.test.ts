/**
 * @module Chaos: SIGTERM under keep-alive load. Readiness answers 503 for the whole drain delay while
 * predictions are still served; once the listener closes, no request sent before that moment fails
 * (no reset, no refused connection), slow in-flight requests complete, and the process exits 0.
 */

import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IRIS_ROW } from "../helpers.ts";
import { ROOT, startServer } from "../server-process.ts";
import { keepAliveLoad, type Outcome, send } from "./load-client.ts";

const DRAIN_MS = 2000;

describe("chaos: SIGTERM under keep-alive load", () => {
  it("resets no request sent before the listener closed; readiness 503 through the drain delay", {
    timeout: 90_000,
  }, async () => {
    const server = await startServer([
      join(ROOT, "examples/iris/heuristic.ts"),
      join(ROOT, "test/fixtures/typescript/slow.ts"),
      "--default-model",
      "heuristic",
      "--drain-delay",
      String(DRAIN_MS),
      "--shutdown-timeout",
      "10000",
      "--log-level",
      "info",
    ]);
    let exitedAt = 0;
    void server.exited.then(() => {
      exitedAt = Date.now();
    });
    const done = () => exitedAt > 0;
    // Ready before any load (the probes below run on a loaded machine and may be slow to start).
    const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await send(probeAgent, `${server.url}/health/ready`)).status, 200);
    const fast = JSON.stringify(IRIS_ROW);
    const slowBatch = JSON.stringify({ instances: [{ x: 1 }, { x: 2 }, { x: 3 }] });
    // 24 keep-alive loops of fast predictions, 12 of slow (300 ms) batches, and a readiness probe.
    const fastLoad = keepAliveLoad(server.url, 24, () => ({ path: "/predict", body: fast }), done);
    const slowLoad = keepAliveLoad(
      server.url,
      12,
      () => ({ path: "/models/slow/predict/batch", body: slowBatch }),
      done,
    );
    const probes: Outcome[] = [];
    const probing = (async () => {
      while (!done()) {
        const o = await send(probeAgent, `${server.url}/health/ready`);
        probes.push(o);
        if (o.error === "ECONNREFUSED") break;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));
    const sigAt = Date.now();
    server.child.kill("SIGTERM");
    const code = await server.exited;
    const [fastOut, slowOut] = await Promise.all([fastLoad, slowLoad, probing]);
    assert.equal(code, 0, server.stderr());
    const closed = /"closedAt":(\d+)/.exec(server.stdout());
    assert.ok(closed, `the server logs when its listener closed: ${server.stdout().slice(-2000)}`);
    const closedAt = Number(closed[1]);
    assert.ok(closedAt - sigAt >= DRAIN_MS - 50, `listener closed ${closedAt - sigAt} ms after SIGTERM`);

    const all = [...fastOut, ...slowOut];
    process.stderr.write(
      `# sigterm: ${all.length} requests, ${all.filter((o) => o.sentAt < closedAt).length} sent before the listener closed (${all.filter((o) => o.sentAt < closedAt && o.status !== 200).length} failed), ${all.filter((o) => o.sentAt > sigAt && o.sentAt < closedAt).length} during the drain delay, ${all.filter((o) => o.error === "ECONNREFUSED").length} refused after; probes during the delay: ${probes
        .filter((p) => p.sentAt > sigAt + 20 && p.doneAt < closedAt)
        .map((p) => p.status)
        .join(",")}; exit ${exitedAt - sigAt} ms after SIGTERM\n`,
    );
    const before = all.filter((o) => o.sentAt < closedAt);
    const failed = before.filter((o) => o.status !== 200);
    assert.equal(
      failed.length,
      0,
      `requests sent before the listener closed that failed: ${JSON.stringify(failed.slice(0, 5))}`,
    );
    // The load was real, and kept being served during the drain delay.
    const duringDrain = before.filter((o) => o.sentAt > sigAt + 100);
    assert.ok(before.length > 150, `only ${before.length} requests`);
    assert.ok(duringDrain.length > 50, `only ${duringDrain.length} requests served while draining`);
    assert.ok(slowOut.filter((o) => o.status === 200 && o.sentAt < closedAt).length >= 24);
    // After the listener closed: answers only (with Connection: close) or refused connections, never a reset.
    // Strictly after its millisecond: a request sent in the same millisecond as the close may have been
    // answered just before it (a CI run saw one answered keep-alive, sent, closed at the same ms).
    const after = all.filter((o) => o.sentAt > closedAt);
    for (const o of after) assert.ok(o.status === 200 || o.error === "ECONNREFUSED", JSON.stringify(o));
    // Answers to requests that reached an open keep-alive connection after the close tell the client to
    // close it; some in-flight answers did too (none did before the close).
    for (const o of after.filter((x) => x.status === 200))
      assert.equal(o.connection, "close", JSON.stringify({ ...o, body: undefined, closedAt, sigAt }));
    assert.ok(
      all.some((o) => o.connection === "close"),
      "answers after the close carry Connection: close",
    );
    assert.ok(all.filter((o) => o.sentAt < sigAt).every((o) => o.connection === "keep-alive"));

    // Readiness: 200 before SIGTERM, 503 from just after it until the listener closed.
    assert.ok(probes.filter((p) => p.doneAt < sigAt).every((p) => p.status === 200));
    const drainProbes = probes.filter((p) => p.sentAt > sigAt + 20 && p.doneAt < closedAt);
    assert.ok(drainProbes.length >= 2, `only ${drainProbes.length} probes during the drain delay`);
    for (const p of drainProbes) assert.equal(p.status, 503, JSON.stringify(p));
    assert.ok(exitedAt - sigAt < DRAIN_MS + 10_000);
  });
});
