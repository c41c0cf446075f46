/**
 * Loader workers start from a one-file bundle of their entry when the build wrote one
 * (`scripts/build/bundle-workers.ts`), and through a boot script that also turns on the compile cache.
 * The bundle must answer exactly as the entry's own modules do, every entry must have one, a bundle
 * older than its entry must never run, and the boot script must start under `--input-type=module` too.
 * Needs `npm run build` (which `npm test` runs first).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { LOADER_WORKERS } from "../../../scripts/build/bundle-workers.ts";
import { runLoaderWorker, sharedCopy } from "../../../src/runtimes/loading/loader-worker-host.ts";
import { forgetWorkerFiles, workerFile } from "../../../src/runtimes/loading/worker-file.ts";
import { tempDir } from "../../lifecycle-helpers.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const fixtures = join(root, "test/fixtures");

/** A fixture each loader worker reads. */
const FIXTURE: Record<string, string> = {
  "runtimes/sklearn/pickle-worker": "sklearn/1.9.1/trees-et-bc/model.joblib",
  "runtimes/xgboost/parse-worker": "xgboost/binary_logistic_json/model.json",
  "runtimes/lightgbm/parse-worker": "lightgbm/breast_cancer_binary/model.txt",
};

function sourcesCalling(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(".ts")) continue;
    const file = join(e.parentPath, e.name);
    if (readFileSync(file, "utf8").includes(needle)) out.push(file);
  }
  return out;
}

after(() => forgetWorkerFiles());

describe("loader worker bundles", () => {
  it("cover every loader worker entry (each module that serves loads)", () => {
    const entries = sourcesCalling(join(root, "src"), "serveLoads(")
      .map((f) => relative(join(root, "src"), f).replace(/\.ts$/, ""))
      .filter((f) => f !== "runtimes/loading/loader-worker")
      .sort();
    assert.deepEqual(entries, [...LOADER_WORKERS].sort());
  });

  it("leave the host side out (a worker never starts workers: no worker-file.ts, no node:module)", () => {
    for (const name of LOADER_WORKERS) {
      const bundle = join(root, "dist", `${name}.bundle.js`);
      assert.ok(existsSync(bundle), `${bundle} is missing: run npm run build`);
      const text = readFileSync(bundle, "utf8");
      assert.equal(text.includes("getCompileCacheDir"), false, `${name} bundles the loader host`);
      assert.equal(/from "node:module"/.test(text), false, `${name} imports node:module`);
    }
  });

  for (const name of LOADER_WORKERS) {
    it(`${name}: the bundle answers exactly as the entry's modules`, async () => {
      const bundle = join(root, "dist", `${name}.bundle.js`);
      assert.ok(existsSync(bundle), `${bundle} is missing: run npm run build`);
      const file = join(fixtures, FIXTURE[name]!);
      const bytes = new Uint8Array(readFileSync(file));
      const run = (entry: URL) =>
        runLoaderWorker<unknown>(entry, { bytes: sharedCopy(bytes), fileName: "model" }, "model");
      const fromBundle = await run(pathToFileURL(bundle));
      const fromSource = await run(pathToFileURL(join(root, "src", `${name}.ts`)));
      assert.deepStrictEqual(fromBundle, fromSource);
    });
  }
});

describe("workerFile", () => {
  const dir = tempDir("worker-file");
  const entry = join(dir, "w.js");
  const bundle = join(dir, "w.bundle.js");
  writeFileSync(entry, "");
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it("runs the entry when there is no bundle, and TypeScript sources as they are", () => {
    forgetWorkerFiles();
    assert.equal(workerFile(pathToFileURL(entry)).href, pathToFileURL(entry).href);
    const ts = pathToFileURL(join(root, "src/runtimes/sklearn/pickle-worker.ts"));
    assert.equal(workerFile(ts).href, ts.href);
  });

  it("runs a bundle at least as new as its entry, never an older one", () => {
    writeFileSync(bundle, "");
    at(entry, 1_000_000);
    at(bundle, 1_000_000);
    forgetWorkerFiles();
    assert.equal(workerFile(pathToFileURL(entry)).href, pathToFileURL(bundle).href);
    // The entry recompiled after the bundle was written: the bundle is stale.
    at(entry, 1_000_010);
    forgetWorkerFiles();
    assert.equal(workerFile(pathToFileURL(entry)).href, pathToFileURL(entry).href);
  });
});

describe("the loader worker's boot script", () => {
  it("starts under --input-type=module (an eval worker inherits it), with the compile cache on", async () => {
    const code = `
      (await import("node:module")).enableCompileCache(${JSON.stringify(tempDir("boot-cache"))});
      const { loadModel } = await import(${JSON.stringify(pathToFileURL(join(root, "src/runtimes/load-model.ts")).href)});
      const m = await loadModel(${JSON.stringify(join(fixtures, FIXTURE["runtimes/xgboost/parse-worker"]!))});
      process.stdout.write(m.signature.output.task);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", code],
      { timeout: 60_000 },
    );
    assert.equal(stdout, "classification");
  });
});
