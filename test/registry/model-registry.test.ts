import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Errors } from "../../src/errors.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { compareVersions } from "../../src/registry/version-order.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";

const model = (name: string) =>
  loadDefinition(
    defineModel({ name, inputs: { x: "float" }, predict: (rows) => rows.map((r) => r.x as number) }),
  );

describe("model registry", () => {
  it("orders versions naturally and defaults to the newest ready one", () => {
    assert.deepEqual(["10", "2", "1", "1.10.0", "1.9.1"].sort(compareVersions), [
      "1",
      "1.9.1",
      "1.10.0",
      "2",
      "10",
    ]);
    const r = new ModelRegistry();
    for (const v of ["1", "10", "2"]) r.register("m", v, model("m"));
    assert.deepEqual(r.versions("m"), ["1", "2", "10"]);
    assert.equal(r.resolve("m").version, "10");
    r.setDefaultVersion("m", "2");
    assert.equal(r.resolve().version, "2");
    assert.equal(r.resolve("m", "1").version, "1");
  });

  it("keeps serving other models when a load fails, and records the failure", async () => {
    const r = new ModelRegistry();
    r.register("good", "1", model("good"));
    const failed = await r.load("bad", "1", async () => {
      throw Errors.invalidModel("bad.joblib", "truncated");
    });
    assert.equal(failed.state, "failed");
    assert.equal(failed.error?.code, "MS_INVALID_MODEL");
    assert.equal(r.resolve("good").state, "ready");
    assert.throws(
      () => r.resolve("bad"),
      (e: Error & { code?: string }) => e.code === "MS_MODEL_LOAD_FAILED",
    );
    const crash = await r.load("worse", "1", async () => {
      throw new TypeError("boom");
    });
    assert.equal(crash.error?.code, "MS_MODEL_LOAD_FAILED");
    // A failed version can be loaded again.
    assert.equal((await r.load("bad", "1", async () => model("bad"))).state, "ready");
  });

  it("refuses duplicates and bad names, and unloads", async () => {
    const r = new ModelRegistry();
    r.register("m", "1", model("m"));
    assert.throws(() => r.register("m", "1", model("m")), /already registered/);
    assert.throws(() => r.register("../x", "1", model("m")), /model name/);
    assert.throws(() => r.register("m", "a b", model("m")), /model version/);
    let changes = 0;
    r.onChange(() => changes++);
    await r.unload("m", "1");
    assert.ok(changes >= 1, "listeners hear the change");
    assert.deepEqual(r.names(), []);
    assert.throws(
      () => r.resolve(),
      (e: Error & { code?: string }) => e.code === "MS_NO_DEFAULT_MODEL",
    );
  });

  it("uses the chosen default model", () => {
    const r = new ModelRegistry();
    r.register("a", "1", model("a"));
    r.register("b", "1", model("b"));
    assert.equal(r.resolve().name, "a");
    r.setDefaultModel("b");
    assert.equal(r.resolve().name, "b");
    assert.throws(() => r.setDefaultModel("c"), /not found/);
  });
});
