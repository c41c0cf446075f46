import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { RepositoryWatcher } from "../../src/registry/repository-watcher.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";
import { addVersion, tempDir } from "../lifecycle-helpers.ts";

/** An app over a repository holding lin@1 (y = x) and lin@2 (y = 2x). */
async function setup(admin = true) {
  const repo = tempDir("routing");
  addVersion(repo, "lin", "1", 1);
  addVersion(repo, "lin", "2", 2);
  const registry = new ModelRegistry();
  const app = buildApp(registry, { logger: silent, admin });
  const watcher = new RepositoryWatcher(registry, {
    dir: repo,
    watch: false,
    logger: silent,
    keepVersions: 10,
  });
  app.context.repository = watcher;
  await watcher.start();
  const predict = (headers: Record<string, string> = {}, x = 1) =>
    app.fastify.inject({ method: "POST", url: "/models/lin/predict", payload: { x }, headers });
  return { repo, registry, app, watcher, predict };
}

describe("A/B split and shadow", () => {
  it("splits 90/10 within ±2 % over 10 000 requests, and keeps one routing key on one version", async () => {
    const { registry, predict } = await setup();
    registry.setSplit("lin", [
      { version: "1", weight: 90 },
      { version: "2", weight: 10 },
    ]);
    let v2 = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = registry.resolve("lin");
      if (v.version === "2") v2++;
    }
    assert.ok(Math.abs(v2 / 10_000 - 0.1) <= 0.02, `share of version 2: ${v2 / 10_000}`);
    let keyed2 = 0;
    for (let k = 0; k < 2000; k++) {
      const first = registry.resolve("lin", undefined, `user-${k}`).version;
      for (let r = 0; r < 3; r++)
        assert.equal(registry.resolve("lin", undefined, `user-${k}`).version, first);
      if (first === "2") keyed2++;
    }
    assert.ok(Math.abs(keyed2 / 2000 - 0.1) <= 0.03, `keyed share of version 2: ${keyed2 / 2000}`);
    const res = await predict({ "x-routing-key": "user-7" });
    const again = await predict({ "x-routing-key": "user-7" });
    assert.equal(res.json().version, again.json().version);
    assert.equal(res.headers["x-model"], `lin@${res.json().version}`);
  });

  it("mirrors traffic to a shadow without changing the answer, and counts disagreements", async () => {
    const { registry, app, predict } = await setup();
    registry.setDefaultVersion("lin", "1");
    registry.setShadow("lin", "2");
    const answers = [];
    for (const x of [0, 1, 2]) answers.push((await predict({}, x)).json());
    assert.deepEqual(
      answers.map((a) => [a.version, a.prediction]),
      [
        ["1", 0],
        ["1", 1],
        ["1", 2],
      ],
    );
    while (app.context.shadows.pending > 0) await new Promise((r) => setImmediate(r));
    const report = app.context.shadows.report("lin")!;
    assert.equal(report.version, "2");
    assert.equal(report.rows, 3);
    assert.equal(report.disagreements, 2, "x = 0 agrees (0 = 0), x = 1 and 2 differ");
    assert.deepEqual(
      report.samples.map((s) => [s.live, s.shadow]),
      [
        [1, 2],
        [2, 4],
      ],
    );
    const listed = (await app.fastify.inject({ method: "GET", url: "/models/lin" })).json();
    assert.equal(listed.shadow.disagreements, 2);
  });
});

describe("admin API", () => {
  it("is off unless enabled", async () => {
    const { app } = await setup(false);
    const res = await app.fastify.inject({ method: "POST", url: "/admin/models/lin/rollback" });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, "MS_ADMIN_DISABLED");
  });

  it("sets the default, rolls back within one request, unloads and loads versions, splits and shadows", async () => {
    const { app, repo, predict } = await setup();
    const admin = (method: "GET" | "PUT" | "POST" | "DELETE", url: string, payload?: unknown) =>
      app.fastify.inject({ method, url: `/admin${url}`, ...(payload ? { payload } : {}) });
    assert.equal((await predict()).json().version, "2");
    assert.equal((await admin("PUT", "/models/lin/default", { version: "1" })).statusCode, 200);
    assert.equal((await predict()).json().version, "1");
    const rolled = await admin("POST", "/models/lin/rollback");
    assert.equal(rolled.json().pinnedVersion, "2");
    assert.equal((await predict()).json().version, "2", "the very next request");
    addVersion(repo, "lin", "3", 3);
    const loaded = await admin("POST", "/models/lin/versions/3/load");
    assert.equal(loaded.statusCode, 200, loaded.body);
    assert.equal((await admin("PUT", "/models/lin/default", { version: null })).json().defaultVersion, "3");
    assert.equal((await admin("DELETE", "/models/lin/versions/1")).json().unloaded, true);
    const split = await admin("PUT", "/models/lin/split", {
      arms: [
        { version: "2", weight: 1 },
        { version: "3", weight: 1 },
      ],
    });
    assert.deepEqual(split.json().split, [
      { version: "2", weight: 1 },
      { version: "3", weight: 1 },
    ]);
    assert.equal(
      (await admin("PUT", "/models/lin/split", { arms: [{ version: "9", weight: 1 }] })).json().error.code,
      "MS_VERSION_NOT_FOUND",
    );
    assert.equal((await admin("PUT", "/models/lin/shadow", { version: "2" })).json().shadow.version, "2");
    const state = (await admin("GET", "/models")).json();
    assert.deepEqual(
      state.models[0].versions.map((v: { version: string }) => v.version),
      ["2", "3"],
    );
    assert.equal(
      (await admin("POST", "/models/lin/versions/8/load")).json().error.code,
      "MS_VERSION_NOT_FOUND",
    );
  });
});

describe("zero-downtime reloads", () => {
  it("answers every request while new versions replace the default, each from a live version", async () => {
    const repo = tempDir("zdt");
    addVersion(repo, "lin", "1", 1);
    const registry = new ModelRegistry();
    const app = buildApp(registry, { logger: silent });
    const watcher = new RepositoryWatcher(registry, {
      dir: repo,
      watch: true,
      intervalMs: 20,
      logger: silent,
      drainMs: 5000,
    });
    await watcher.start();
    // A version is live from the moment the registry makes it ready (listeners run synchronously).
    const live = new Set(["1"]);
    registry.onChange(() => {
      for (const v of registry.entries("lin")) if (v.state === "ready") live.add(v.version);
    });
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const client = async () => {
      while (!stop) {
        const x = 1 + Math.random();
        const res = await app.fastify.inject({ method: "POST", url: "/predict", payload: { x } });
        if (res.statusCode !== 200) {
          failures.push(`${res.statusCode} ${res.body}`);
          continue;
        }
        const body = res.json();
        served++;
        // The slope of version k is k, so the answer proves which model computed it.
        if (Math.abs(body.prediction - Number(body.version) * x) > 1e-9)
          failures.push(`wrong answer from ${body.version}`);
        if (!live.has(body.version)) failures.push(`version ${body.version} answered before it was live`);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let v = 2; v <= 12; v++) {
      addVersion(repo, "lin", String(v), v, v === 7);
      const deadline = Date.now() + 5000;
      while (
        Date.now() < deadline &&
        !["ready", "failed"].includes(registry.get("lin", String(v))?.state ?? "")
      ) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    stop = true;
    await Promise.all(clients);
    watcher.stop();
    assert.deepEqual(failures, []);
    assert.ok(served > 200, `served ${served}`);
    assert.equal(registry.get("lin", "7")?.state, "failed", "the broken version never went live");
    assert.equal(registry.defaultVersion("lin"), "12");
    await app.fastify.close();
  });
});
