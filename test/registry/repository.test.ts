import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { INCOMPLETE_MARKER, promote, scanRepository } from "../../src/registry/repository.ts";
import { RepositoryWatcher } from "../../src/registry/repository-watcher.ts";
import { silent } from "../helpers.ts";
import { addVersion, tempDir } from "../lifecycle-helpers.ts";

describe("model repository", () => {
  it("lists versions in natural order, skipping incomplete and hidden folders", async () => {
    const repo = tempDir("repo");
    for (const v of ["10", "2", "1"]) addVersion(repo, "lin", v, Number(v));
    mkdirSync(join(repo, "lin", "11"));
    writeFileSync(join(repo, "lin", "11", "model.mjs"), "x");
    writeFileSync(join(repo, "lin", "11", INCOMPLETE_MARKER), "");
    mkdirSync(join(repo, "lin", ".12.partial"));
    const found = await scanRepository(repo);
    assert.deepEqual(
      found.map((v) => v.version),
      ["1", "2", "10"],
    );
    assert.ok(found.every((v) => v.kind === "file" && v.path.endsWith("model.mjs")));
  });

  it("records stages and serves only the promoted ones", async () => {
    const repo = tempDir("stages");
    for (const v of ["1", "2", "3"]) addVersion(repo, "lin", v, Number(v));
    await promote(repo, "lin", "2", "production");
    await promote(repo, "lin", "3", "staging");
    assert.deepEqual(
      (await scanRepository(repo, "production")).map((v) => v.version),
      ["2"],
    );
    await assert.rejects(promote(repo, "lin", "9", "production"), /no version "9"/);
    const registry = new ModelRegistry();
    const w = new RepositoryWatcher(registry, {
      dir: repo,
      stage: "production",
      watch: false,
      logger: silent,
    });
    await w.start();
    assert.deepEqual(registry.versions("lin"), ["2"]);
    assert.equal(registry.get("lin", "2")?.meta?.stage, "production");
  });

  it("loads new versions as the default, keeps one back for rollback, never serves a broken one", async () => {
    const repo = tempDir("watch");
    addVersion(repo, "lin", "1", 1);
    const registry = new ModelRegistry();
    const w = new RepositoryWatcher(registry, { dir: repo, watch: false, keepVersions: 2, logger: silent });
    await w.start();
    const predict = async () => {
      const v = registry.resolve("lin");
      const out = await v.model.predict(v.validator.toTable([{ x: 1 }], ""));
      return { version: v.version, y: out.kind === "values" ? out.values.data[0] : Number.NaN };
    };
    assert.deepEqual(await predict(), { version: "1", y: 1 });
    addVersion(repo, "lin", "2", 2);
    await w.sync();
    assert.deepEqual(await predict(), { version: "2", y: 2 });
    assert.equal(registry.get("lin", "1")?.state, "ready", "one version kept back");
    addVersion(repo, "lin", "3", 3);
    await w.sync();
    assert.deepEqual(registry.versions("lin"), ["2", "3"], "the oldest drained and unloaded");
    addVersion(repo, "lin", "4", 4, true);
    await w.sync();
    assert.equal(registry.get("lin", "4")?.state, "failed");
    assert.match(registry.get("lin", "4")?.error?.message ?? "", /failed to import/);
    assert.deepEqual(await predict(), { version: "3", y: 3 }, "a failed version never answers");
    assert.equal(registry.rollback("lin"), "2");
    assert.deepEqual(await predict(), { version: "2", y: 2 });
    await w.sync();
    assert.deepEqual(registry.versions("lin"), ["2", "3", "4"], "a retired version is not reloaded");
    rmSync(join(repo, "lin", "3"), { recursive: true });
    await w.sync();
    assert.equal(registry.get("lin", "3"), undefined, "a removed folder unloads");
  });

  it("drains in-flight requests before unloading", async () => {
    const repo = tempDir("drain");
    addVersion(repo, "lin", "1", 1);
    const registry = new ModelRegistry();
    await new RepositoryWatcher(registry, { dir: repo, watch: false, logger: silent }).start();
    const v = registry.resolve("lin");
    registry.enter(v);
    let unloaded = false;
    const unloading = registry.unload("lin", "1").then(() => {
      unloaded = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(unloaded, false, "waits for the request in flight");
    assert.throws(() => registry.resolve("lin"), /unloading, not ready/);
    registry.leave(v);
    await unloading;
    assert.equal(unloaded, true);
  });
});
