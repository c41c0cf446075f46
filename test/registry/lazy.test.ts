import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { RepositoryWatcher } from "../../src/registry/repository-watcher.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";
import { addVersion, tempDir } from "../lifecycle-helpers.ts";

describe("lazy loading and the memory budget", () => {
  it("loads a version on its first request and unloads the least recently used beyond the budget", async () => {
    const repo = tempDir("lazy");
    for (const [name, slope] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ] as const)
      addVersion(repo, name, "1", slope);
    const size = statSync(join(repo, "a", "1", "model.mjs")).size;
    const registry = new ModelRegistry();
    registry.memoryBudgetBytes = size * 2;
    const app = buildApp(registry, { logger: silent });
    await new RepositoryWatcher(registry, { dir: repo, watch: false, lazy: true, logger: silent }).start();
    assert.deepEqual(
      registry.all().map((v) => v.state),
      ["unloaded", "unloaded", "unloaded"],
    );
    assert.equal((await app.fastify.inject({ method: "GET", url: "/health/ready" })).statusCode, 200);
    const predict = async (name: string) =>
      (
        await app.fastify.inject({ method: "POST", url: `/models/${name}/predict`, payload: { x: 2 } })
      ).json();
    // Concurrent first requests share one load.
    const [r1, r2] = await Promise.all([predict("a"), predict("a")]);
    assert.deepEqual([r1.prediction, r2.prediction], [2, 2]);
    assert.equal((await predict("b")).prediction, 4);
    assert.equal(registry.get("a", "1")?.state, "ready");
    await predict("a"); // a is now more recently used than b
    assert.equal((await predict("c")).prediction, 6);
    assert.equal(registry.get("b", "1")?.state, "unloaded", "b was the least recently used");
    assert.equal(registry.get("a", "1")?.state, "ready");
    assert.ok(registry.loadedBytes() <= size * 2);
    assert.equal((await predict("b")).prediction, 4, "an unloaded version loads again on demand");
    const listed = (await app.fastify.inject({ method: "GET", url: "/models/b" })).json();
    assert.equal(typeof listed.versions[0].lastUsedAt, "string");
    assert.equal(listed.versions[0].info.sizeBytes, size);
    await app.fastify.close();
  });
});
