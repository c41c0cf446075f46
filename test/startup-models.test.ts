/**
 * Startup models before any server exists: loads started early (`startLoads`) run once, at once, and
 * hand the registry the load under way; a failed early load is reported when the registry takes it,
 * never as an unhandled rejection; `applyLoadLimits` decides shared memory from the placement a config
 * allows, and whether small files load on the main thread (no CPU to spare for a loader worker). A server
 * started with loads begun early answers as before.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { statSync } from "node:fs";
import { after, describe, it } from "node:test";
import { usableCpus } from "../src/cluster/cpus.ts";
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

  it("reads small startup files on the main thread only when no CPU is spare for a loader worker", () => {
    const usable = usableCpus();
    const cases = [
      // As many workers as CPUs, every model inline: nothing to run a loader worker beside.
      [{ workers: usable, inference: "inline" }, 1024 * 1024],
      [{ workers: usable, inference: "inline", loadInlineStartupKb: 64 }, 64 * 1024],
      [{ workers: usable, inference: "inline", loadInlineStartupKb: 0 }, 0],
      // A model that may run on the pool needs its arrays in shared memory: the loader worker puts them there.
      [{ workers: usable, inference: "pool" }, 0],
      [{ workers: usable, inference: "inline", models: [{ path: FOREST, inference: "pool" }] }, 0],
      // A CPU beside the event loops: the loader worker reads while the server is imported.
      [{ workers: 1, inference: "inline" }, usable > 1 ? 0 : 1024 * 1024],
    ] as const;
    for (const [code, bytes] of cases)
      assert.equal(
        applyLoadLimits(loadConfig({ env: {}, code })).inlineStartupBytes,
        bytes,
        JSON.stringify(code),
      );
  });

  it("asks for an inline load only for files within a limit above 0", () => {
    const asked: unknown[] = [];
    const file = (sizeBytes: number): Pending => ({
      name: `m${sizeBytes}`,
      version: "1",
      source: "file",
      sizeBytes,
      load: async (options) => {
        asked.push(options?.inline ?? false);
        return {} as LoadedModel;
      },
    });
    const code: Pending = {
      name: "c",
      version: "1",
      source: "code",
      load: async (options) => {
        asked.push(options?.inline ?? false);
        return {} as LoadedModel;
      },
    };
    startLoads([file(0), file(10), file(11), code], 10);
    assert.deepStrictEqual(asked, [true, true, false, false]);
    asked.length = 0;
    // 0 is "never", even for an empty file.
    startLoads([file(0), file(10)], 0);
    assert.deepStrictEqual(asked, [false, false]);
  });

  it("loads a startup file no larger than the limit without a loader worker, answering the same", async () => {
    const files = [
      FOREST,
      new URL("../examples/iris/models/xgboost.json", import.meta.url).pathname,
      new URL("fixtures/lightgbm/breast_cancer_binary/model.txt", import.meta.url).pathname,
    ];
    for (const file of files) {
      const config = loadConfig({ env: {}, code: { models: [file], inference: "inline" } });
      applyLoadLimits(config);
      let workers = 0;
      const onWorker = () => workers++;
      diagnostics.subscribe("worker_threads", onWorker);
      try {
        const size = statSync(file).size;
        const [inline] = startLoads(await prepareModels(config.models), size);
        const a = await inline!.load();
        assert.equal(workers, 0, `no loader worker for ${file}, within the limit`);
        const [isolated] = startLoads(await prepareModels(config.models), size - 1);
        const b = await isolated!.load();
        assert.equal(workers, 1, `a loader worker for ${file}, one byte over`);
        // Rows of the model's width, from a fixed sequence of plausible values.
        const cols = a.signature.inputs.length;
        const numeric = Float64Array.from({ length: 3 * cols }, (_, i) => ((i * 7) % 13) / 2);
        const table = {
          rows: 3,
          columns: a.signature.inputs.map((i) => i.name),
          numeric,
          strings: [],
          tensors: [],
        };
        assert.deepStrictEqual(await a.predict(table), await b.predict({ ...table }), file);
        assert.equal(a.info.sha256, b.info.sha256);
      } finally {
        diagnostics.unsubscribe("worker_threads", onWorker);
      }
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
