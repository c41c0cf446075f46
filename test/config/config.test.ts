import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CONFIG_KEYS, loadConfig, parseModelArg } from "../../src/config/config.ts";
import { withConfigTable } from "../../src/config/docs-table.ts";
import { isModelServeError } from "../../src/errors.ts";
import { tempDir } from "../temp-dir.ts";

const dir = tempDir("config");
const file = join(dir, "config.json");
writeFileSync(file, JSON.stringify({ port: 7000, logLevel: "warn", maxBatchSize: 50, title: "from file" }));

describe("configuration", () => {
  it("uses defaults when nothing is set", () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.port, 8000);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.maxBatchSize, 10_000);
    assert.deepEqual(c.models, []);
  });

  it("applies defaults < file < env < CLI < code", () => {
    const env = { MODELSERVE_PORT: "7100", MODELSERVE_LOG_LEVEL: "error", MODELSERVE_MAX_BATCH_SIZE: "60" };
    const c = loadConfig({
      file,
      env,
      cli: { logLevel: "debug", maxBatchSize: "70" },
      code: { maxBatchSize: 80 },
    });
    assert.equal(c.title, "from file");
    assert.equal(c.port, 7100);
    assert.equal(c.logLevel, "debug");
    assert.equal(c.maxBatchSize, 80);
  });

  it("reads the config file from MODELSERVE_CONFIG and models from MODELSERVE_MODELS", () => {
    const c = loadConfig({
      env: { MODELSERVE_CONFIG: file, MODELSERVE_MODELS: "iris=a.joblib, b.json,churn@3=c.pkl" },
    });
    assert.equal(c.port, 7000);
    assert.deepEqual(c.models, [
      { name: "iris", path: "a.joblib" },
      { path: "b.json" },
      { name: "churn", version: "3", path: "c.pkl" },
    ]);
  });

  it("takes a model entry's own settings, checked as the keys of their names", () => {
    const c = loadConfig({
      env: {},
      code: {
        models: [
          {
            path: "a.joblib",
            microBatching: "on",
            microBatchMaxRows: 16,
            microBatchMaxWaitUs: 0,
            maxQueued: 8,
          },
          { path: "b.joblib", inference: "pool" },
        ],
      },
    });
    assert.deepEqual(c.models, [
      { path: "a.joblib", microBatching: "on", microBatchMaxRows: 16, microBatchMaxWaitUs: 0, maxQueued: 8 },
      { path: "b.joblib", inference: "pool" },
    ]);
    const refused: [Record<string, unknown>, RegExp][] = [
      [
        { microBatching: "sometimes" },
        /microBatching \(from code, model a\.joblib\) must be one of auto, on, off/,
      ],
      [{ microBatchMaxRows: 0 }, /microBatchMaxRows \(from code, model a\.joblib\) must be between/],
      [{ maxQueued: -1 }, /maxQueued \(from code, model a\.joblib\) must be between/],
      [{ inference: "gpu" }, /inference \(from code, model a\.joblib\) must be one of auto, inline, pool/],
    ];
    for (const [own, message] of refused)
      assert.throws(
        () => loadConfig({ env: {}, code: { models: [{ path: "a.joblib", ...own }] } }),
        (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_CONFIG" && message.test(e.message),
        JSON.stringify(own),
      );
  });

  it("refuses invalid values with one line naming the key and its source", () => {
    const cases: [Parameters<typeof loadConfig>[0], RegExp][] = [
      [{ env: { MODELSERVE_PORT: "70000" } }, /port \(from environment\) must be between 0 and 65535/],
      [{ env: { MODELSERVE_PORT: "eighty" } }, /port \(from environment\) must be an integer/],
      [{ env: {}, cli: { logLevel: "loud" } }, /logLevel \(from command line\) must be one of/],
      [{ env: { MODELSERVE_DOCS: "maybe" } }, /docs \(from environment\) must be true or false/],
      [{ env: {}, code: { maxBatchSize: 0 } }, /maxBatchSize \(from code\)/],
    ];
    for (const [sources, message] of cases) {
      assert.throws(
        () => loadConfig(sources),
        (e: unknown) =>
          isModelServeError(e) &&
          e.code === "MS_INVALID_CONFIG" &&
          message.test(e.message) &&
          !e.message.includes("\n"),
      );
    }
  });

  it("refuses unknown keys and bad JSON in a config file", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig({ file: bad, env: {} }), /unknown key "prot"/);
    writeFileSync(bad, "{nope");
    assert.throws(() => loadConfig({ file: bad, env: {} }), /not valid JSON/);
    assert.throws(() => loadConfig({ file: join(dir, "missing.json"), env: {} }), /cannot read config file/);
  });

  it("parses model arguments", () => {
    assert.deepEqual(parseModelArg("models/a=b.joblib"), { path: "models/a=b.joblib" });
    assert.deepEqual(parseModelArg("x@2=m.json"), { name: "x", version: "2", path: "m.json" });
  });

  it("keeps docs/config.md's table identical to the declarations (npm run docs:config)", () => {
    const doc = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");
    assert.equal(withConfigTable(doc), doc, "run npm run docs:config");
    // And the other way: every row in the file is a declared key.
    const documented = doc.split("\n").flatMap((l) => /^\| `(\w+)` \| `MODELSERVE_/.exec(l)?.[1] ?? []);
    assert.deepEqual(documented.sort(), CONFIG_KEYS.map((k) => k.key).sort());
  });

  it("documents every key, its variable and default in docs/config.md", () => {
    const doc = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");
    for (const k of CONFIG_KEYS) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${k.key}\` |`));
      assert.ok(row, `${k.key} documented`);
      assert.ok(row.includes(`\`${k.env}\``), `${k.key} env var`);
      if (k.default !== undefined)
        assert.ok(row.includes(`\`${JSON.stringify(k.default)}\``), `${k.key} default`);
    }
  });
});
