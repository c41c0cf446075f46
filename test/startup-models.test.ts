/**
 * Startup models before any server exists: loads started early (`startLoads`) run once, at once, and
 * hand the registry the load under way; a failed early load is reported when the registry takes it,
 * never as an unhandled rejection; `applyLoadLimits` decides shared memory from the placement a config
 * allows. A server started with loads begun early answers as before.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { loadConfig } from "../src/config/config.ts";
import { appFor, startModels } from "../src/deploy.ts";
import { ModelRegistry } from "../src/registry/model-registry.ts";
import { loadLimits, setLoadLimits } from "../src/runtimes/load-limits.ts";
import type { LoadedModel } from "../src/runtimes/runtime.ts";
import { applyLoadLimits, type Pending, prepareModels, startLoads } from "../src/startup-models.ts";

const previous = loadLimits();
after(() => setLoadLimits(previous));

const FOREST = new URL("../examples/iris/models/random_forest.joblib", import.meta.url).pathname;

describe("startup models", () => {
  it("starts each load once, at once, and hands over the load under way", async () => {
    let calls = 0;
    const model = {} as LoadedModel;
    const pending: Pending[] = [
      {
        name: "m",
        version: "1",
        source: "code",
        load: async () => {
          calls++;
          return model;
        },
      },
    ];
    const started = startLoads(pending);
    assert.equal(calls, 1, "started before anyone asked");
    const first = started[0]!.load();
    assert.equal(started[0]!.load(), first, "the same load, not a second one");
    assert.equal(await first, model);
    assert.equal(calls, 1);
    assert.equal(started[0]!.name, "m");
  });

  it("reports a failed early load when it is taken, not as an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    try {
      const [p] = startLoads([
        { name: "bad", version: "1", source: "code", load: () => Promise.reject(new Error("no such model")) },
      ]);
      // Long enough for an unhandled rejection to be reported.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepStrictEqual(unhandled, []);
      await assert.rejects(p!.load(), /no such model/);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("sets shared memory only when some model may run on the pool", () => {
    const cases = [
      [{ inference: "inline" }, false],
      [{ inference: "pool" }, true],
      [{ inference: "inline", models: [{ path: FOREST, inference: "pool" }] }, true],
    ] as const;
    for (const [code, shared] of cases) {
      const cpus = applyLoadLimits(loadConfig({ env: {}, code }));
      assert.equal(loadLimits().sharedMemory, shared, JSON.stringify(code));
      assert.ok(cpus.usable >= 1 && cpus.workers === 1);
    }
  });

  it("a server whose loads started before it was built answers as one that loaded them itself", async () => {
    const config = loadConfig({ env: {}, code: { models: [FOREST], inference: "inline" } });
    applyLoadLimits(config);
    const early = startLoads(await prepareModels(config.models));
    const apps = [appFor(new ModelRegistry(), config), appFor(new ModelRegistry(), config)];
    try {
      await startModels(apps[0]!, config, early);
      await startModels(apps[1]!, config, await prepareModels(config.models));
      const answers = await Promise.all(
        apps.map((a) =>
          a.fastify.inject({ method: "POST", url: "/predict", payload: { features: [6.1, 3, 4.9, 1.8] } }),
        ),
      );
      assert.equal(answers[0]!.statusCode, 200, answers[0]!.body);
      assert.deepStrictEqual(answers[0]!.json(), answers[1]!.json());
    } finally {
      await Promise.all(apps.map((a) => a.fastify.close()));
    }
  });
});
