/**
 * The built-in runtimes resolve by their descriptors and import their code on first load: a
 * descriptor must say what its runtime says (name, extensions, the very same sniff), a lazy runtime
 * imports its code once and only when loading, and serving an XGBoost file loads none of the
 * scikit-learn, LightGBM or ONNX runtimes' code.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { builtinRuntimes } from "../../src/runtimes/builtin.ts";
import { lazyRuntime } from "../../src/runtimes/descriptor.ts";
import { lightgbmRuntime } from "../../src/runtimes/lightgbm/runtime.ts";
import { onnxRuntime } from "../../src/runtimes/onnx/runtime.ts";
import type { Runtime, RuntimeModel } from "../../src/runtimes/runtime.ts";
import { sklearnRuntime } from "../../src/runtimes/sklearn/runtime.ts";
import { typescriptRuntime } from "../../src/runtimes/typescript/runtime.ts";
import { xgboostRuntime } from "../../src/runtimes/xgboost/runtime.ts";

describe("runtime descriptors", () => {
  it("say what their runtimes say, in resolution order", () => {
    const real = [typescriptRuntime, sklearnRuntime, xgboostRuntime, lightgbmRuntime, onnxRuntime];
    const set = builtinRuntimes();
    assert.deepEqual(
      set.names(),
      real.map((r) => r.name),
    );
    for (const r of real) {
      assert.deepEqual(set.get(r.name)!.extensions, r.extensions, r.name);
      assert.equal(set.get(r.name)!.sniff, r.sniff, r.name);
    }
  });

  it("a lazy runtime imports its code on the first load only, and loads through it", async () => {
    let imports = 0;
    const calls: string[] = [];
    const code: Runtime = {
      name: "x",
      extensions: [".x"],
      sniff: () => true,
      load: async (source) => {
        calls.push(source.fileName);
        return { fileName: source.fileName } as unknown as RuntimeModel;
      },
    };
    const lazy = lazyRuntime({ name: "x", extensions: [".x"], sniff: () => true }, async () => {
      imports++;
      return code;
    });
    assert.equal(imports, 0);
    const source = (fileName: string) => ({ bytes: new Uint8Array(), fileName, path: "" });
    const [a, b] = await Promise.all([lazy.load(source("a.x")), lazy.load(source("b.x"))]);
    assert.equal(imports, 1);
    assert.deepEqual(calls, ["a.x", "b.x"]);
    assert.deepEqual([a, b], [{ fileName: "a.x" }, { fileName: "b.x" }]);
  });

  it("a lazy runtime whose import failed tries again on the next load", async () => {
    let attempts = 0;
    const lazy = lazyRuntime({ name: "y", extensions: [".y"], sniff: () => true }, async () => {
      attempts++;
      if (attempts === 1) throw new Error("EMFILE: too many open files");
      return {
        name: "y",
        extensions: [".y"],
        sniff: () => true,
        load: async () => ({ ok: true }) as unknown as RuntimeModel,
      };
    });
    const source = { bytes: new Uint8Array(), fileName: "m.y", path: "" };
    await assert.rejects(lazy.load(source), /EMFILE/);
    assert.deepEqual(await lazy.load(source), { ok: true });
    assert.equal(attempts, 2);
  });

  /**
   * The runtimes' modules (descriptors aside) a fresh process imports on its own thread to load `file`
   * (a loader worker's imports are its own), and which of the pickle reader's.
   */
  async function runtimesImported(
    file: string,
  ): Promise<{ task: string; runtimes: string[]; reader: string[] }> {
    const code = `
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
      const { loadModel } = await import(${JSON.stringify(new URL("../../src/runtimes/load-model.ts", import.meta.url).href)});
      const m = await loadModel(${JSON.stringify(file)});
      const runtimes = seen.map((u) => /src\\/runtimes\\/(sklearn|xgboost|lightgbm|onnx|typescript)\\/([\\w-]+)\\.ts$/.exec(u)).filter(Boolean);
      const reader = seen.filter((u) => /src.(formats.pickle.|formats.compression.(?!detect)|runtimes.sklearn.parse-pickle)/.test(u)).map((u) => u.split("/src/")[1]);
      process.stdout.write(JSON.stringify({ task: m.signature.output.task,
        runtimes: [...new Set(runtimes.filter((r) => r[2] !== "descriptor").map((r) => r[1]))], reader }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", code],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout);
  }

  it("serving an XGBoost file imports no other runtime's code", async () => {
    const model = new URL("../fixtures/xgboost/binary_logistic_json/model.json", import.meta.url);
    assert.deepEqual(await runtimesImported(model.pathname), {
      task: "classification",
      runtimes: ["xgboost"],
      reader: [],
    });
  });

  it("serving a scikit-learn forest imports neither booster's runtime (only pickled wrappers need them), nor the pickle reader (the loader worker reads the file)", async () => {
    const forest = new URL("../../examples/iris/models/random_forest.joblib", import.meta.url);
    assert.deepEqual(await runtimesImported(forest.pathname), {
      task: "classification",
      runtimes: ["sklearn"],
      reader: [],
    });
  });
});
