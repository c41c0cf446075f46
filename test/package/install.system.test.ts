/**
 * The published package as a user gets it: `npm pack`, then an install of the tarball into an empty
 * project with no network (npm's `--offline`: dependencies come from the local npm cache that this
 * repository's own install filled, pinned by a lockfile derived from ours), then every format served and
 * scored through the installed CLI and API. Needs `npm` on PATH and a built `dist/` (`npm test` builds).
 */

import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import heuristic from "../../examples/iris/heuristic.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "test/fixtures");
/** npm and the project's node first on PATH, so the installed bin runs on the same Node as the tests. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };

/**
 * Install-size budgets (apparent bytes of node_modules). Without ONNX the server needs Fastify, pino,
 * prom-client, csv-parse, tar, hyparquet and itself: about 25 MB today (the S3 client, @aws-sdk and
 * @smithy at about 11 MB, is an optional peer installed by those who serve from S3). 32 MB leaves room to grow but fails if a heavy
 * dependency (a 60 MB docs UI with React) comes back. onnxruntime-node alone is about 287 MB (native
 * libraries for five platforms, not ours to trim): the whole install must stay under 340 MB.
 */
const BUDGET_WITHOUT_ONNX = 32 * 1024 * 1024;
const BUDGET_TOTAL = 340 * 1024 * 1024;

function apparentSize(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of readdirSync(path)) total += apparentSize(join(path, e));
  return total;
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
function assertProba(
  actual: readonly (readonly number[])[],
  expected: readonly (readonly number[])[],
  rel: number,
) {
  assert.equal(actual.length, expected.length);
  for (let r = 0; r < actual.length; r++) {
    for (let c = 0; c < actual[r].length; c++) {
      const [a, b] = [actual[r][c], expected[r][c]];
      assert.ok(close(a, b, rel), `row ${r} class ${c}: ${a} vs ${b}`);
    }
  }
}

interface Case {
  /** Model name (file base name). */
  readonly name: string;
  readonly file: string;
  readonly rows: readonly unknown[];
  readonly predict: readonly unknown[];
  readonly proba: readonly (readonly number[])[];
  /** Relative tolerance of probabilities (float32 runtimes answer float32). */
  readonly rel: number;
}

const json = (p: string) => JSON.parse(readFileSync(p, "utf8"));
let dir: string;
let project: string;
let installed: string;
let cases: Case[];
let npmStderr = "";

function lockfileFor(tarball: string): unknown {
  const lock = json(join(root, "package-lock.json")) as { packages: Record<string, Record<string, unknown>> };
  const self = lock.packages[""];
  const packages: Record<string, unknown> = {
    "": { name: "first-hour", dependencies: { modelserve: `file:${tarball}` } },
    "node_modules/modelserve": {
      version: self.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash("sha512")
        .update(readFileSync(join(project, tarball)))
        .digest("base64")}`,
      license: self.license,
      dependencies: self.dependencies,
      optionalDependencies: self.optionalDependencies,
      peerDependencies: self.peerDependencies,
      peerDependenciesMeta: self.peerDependenciesMeta,
      bin: self.bin,
      engines: self.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev === true) continue;
    const e: Record<string, unknown> = { ...entry };
    delete e.peer;
    if (e.devOptional) {
      delete e.devOptional;
      e.optional = true;
    }
    const name = (e.name as string | undefined) ?? path.slice(path.lastIndexOf("node_modules/") + 13);
    e.resolved ??= `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${e.version}.tgz`;
    packages[path] = e;
  }
  return { name: "first-hour", lockfileVersion: 3, requires: true, packages };
}

before(async () => {
  assert.ok(existsSync(join(root, "dist/index.js")), "dist/ is missing: run npm run build first");
  await run("npm", ["--version"], { env }).catch(() => {
    throw new Error("this test packs and installs the package with npm: put npm (10 or newer) on PATH");
  });
  dir = mkdtempSync(join(tmpdir(), "modelserve-package-"));
  project = join(dir, "project");
  mkdirSync(project);
  const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", project, root], {
    env,
    cwd: dir,
  });
  const tarball = packed.stdout.trim().split("\n").pop()!;
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "first-hour",
      private: true,
      type: "module",
      dependencies: { modelserve: `file:${tarball}` },
    }),
  );
  writeFileSync(join(project, "package-lock.json"), JSON.stringify(lockfileFor(tarball)));
  const r = await run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: project,
    env: { ...env, npm_config_registry: "https://registry.npmjs.org/", ONNXRUNTIME_NODE_INSTALL: "" },
    timeout: 240_000,
  });
  npmStderr = r.stderr;
  installed = join(project, "node_modules/modelserve");

  const models = join(project, "models");
  mkdirSync(models);
  const iris = join(installed, "dist/examples/iris");
  const golden = (n: string, kind: string) => json(join(iris, "golden", `${n}.${kind}.json`));
  const lgb = join(fixtures, "lightgbm/iris_multiclass");
  cpSync(join(lgb, "model.txt"), join(models, "lightgbm.txt"));
  const onnx = join(fixtures, "onnx/skl2onnx/iris_logreg_nozipmap");
  cpSync(join(onnx, "model.onnx"), join(models, "onnx.onnx"));
  const onnxExpected = json(join(onnx, "expected.json"));
  const irisRows = golden("random_forest", "inputs") as Record<string, number>[];
  cases = [
    {
      name: "random_forest",
      file: join(iris, "models/random_forest.joblib"),
      rows: irisRows,
      predict: golden("random_forest", "expected").predict,
      proba: golden("random_forest", "expected").predict_proba,
      rel: 1e-12,
    },
    {
      name: "xgboost",
      file: join(iris, "models/xgboost.json"),
      rows: golden("xgboost", "inputs"),
      predict: golden("xgboost", "expected").predict,
      proba: golden("xgboost", "expected").predict_proba,
      rel: 1e-6,
    },
    {
      name: "lightgbm",
      file: join(models, "lightgbm.txt"),
      rows: json(join(lgb, "inputs.json")),
      predict: json(join(lgb, "expected.json")).predict,
      proba: json(join(lgb, "expected.json")).predict_proba,
      rel: 1e-9,
    },
    {
      name: "onnx",
      file: join(models, "onnx.onnx"),
      rows: json(join(onnx, "inputs.json")).X,
      predict: onnxExpected.predict,
      proba: (onnxExpected.predict_proba as number[][][]).flat(),
      rel: 1e-5,
    },
    {
      name: "heuristic",
      file: join(iris, "heuristic.js"),
      rows: irisRows,
      predict: heuristic.predict(irisRows) as unknown[],
      proba: heuristic.predictProba!(irisRows) as number[][],
      rel: 0,
    },
  ];
  for (const c of cases) writeFileSync(join(models, `${c.name}.rows.json`), JSON.stringify(c.rows));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  run(join(project, "node_modules/.bin/modelserve"), args, { cwd: project, env, timeout: 120_000 });

describe("npm pack → offline install into an empty project", { concurrency: true }, () => {
  it("installs without a single npm warning", () => {
    assert.doesNotMatch(npmStderr, /warn/i, npmStderr);
  });

  it("ships the docs bundles in dist, and no React, redoc or telemetry package", () => {
    const pkg = json(join(installed, "package.json"));
    assert.equal(pkg.dependencies.redoc, undefined);
    assert.equal(pkg.dependencies["swagger-ui-dist"], undefined);
    assert.ok(existsSync(join(installed, "dist/docs-assets/redoc.standalone.js")));
    assert.ok(existsSync(join(installed, "dist/docs-assets/swagger-ui-bundle.js")));
    assert.equal(existsSync(join(project, "node_modules/@scarf")), false, "no telemetry package");
    assert.equal(existsSync(join(project, "node_modules/react")), false, "no React");
  });

  it("stays within the install-size budget", () => {
    const total = apparentSize(join(project, "node_modules"));
    const onnx = apparentSize(join(project, "node_modules/onnxruntime-node"));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    process.stderr.write(`install size: ${mb(total)} total, ${mb(total - onnx)} without onnxruntime-node\n`);
    assert.ok(onnx > 0, "onnxruntime-node is installed");
    assert.ok(
      total - onnx <= BUDGET_WITHOUT_ONNX,
      `${mb(total - onnx)} without ONNX > ${mb(BUDGET_WITHOUT_ONNX)}`,
    );
    assert.ok(total <= BUDGET_TOTAL, `${mb(total)} > ${mb(BUDGET_TOTAL)}`);
  });

  it("modelserve doctor finds every runtime", async () => {
    const { stdout } = await cli(["doctor", "--json"]);
    const checks = JSON.parse(stdout).checks as { name: string; ok: boolean; detail: string }[];
    for (const name of ["node", "sklearn", "xgboost", "lightgbm", "onnx", "typescript", "parquet", "docs"]) {
      const c = checks.find((x) => x.name === name);
      assert.ok(c?.ok, `${name}: ${c?.detail}`);
    }
  });

  it("modelserve predict scores one model of each format", async () => {
    // One process per format, side by side: they share nothing but the installed package.
    await Promise.all(
      cases.map(async (c) => {
        const out = join(project, `${c.name}.out.json`);
        const input = join(project, "models", `${c.name}.rows.json`);
        await cli(["predict", c.file, "--input", input, "--output", out, "--proba"]);
        const res = json(out);
        assert.deepEqual(res.predictions, c.predict, c.name);
        assertProba(res.probabilities, c.proba, c.rel);
      }),
    );
  });

  it("the API loads, predicts and deploys one model of each format", async () => {
    const script = join(project, "api.mjs");
    writeFileSync(
      script,
      `import { deploy, loadModel } from "modelserve";
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {};
for (const c of cases) {
  const model = await loadModel(c.file);
  out[c.name] = { predict: await model.predict(c.rows), proba: await model.predictProba(c.rows) };
  await model.close?.();
}
const service = await deploy(cases.map((c) => ({ name: c.name, path: c.file })), { port: 0 });
for (const c of cases) {
  const res = await fetch(service.url + "/models/" + c.name + "/predict/batch", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances: c.rows }) });
  out[c.name].http = await res.json();
}
await service.close();
console.log(JSON.stringify(out));
`,
    );
    writeFileSync(join(project, "cases.json"), JSON.stringify(cases));
    const { stdout } = await run(process.execPath, [script, join(project, "cases.json")], {
      cwd: project,
      env,
      timeout: 120_000,
    });
    const out = JSON.parse(stdout);
    for (const c of cases) {
      const o = out[c.name];
      assert.deepEqual(o.predict, c.predict, c.name);
      assert.deepEqual(o.http.predictions, c.predict, c.name);
      const classes = Object.keys(o.proba[0]);
      assertProba(
        o.proba.map((p: Record<string, number>) => classes.map((k) => p[k])),
        c.proba,
        c.rel,
      );
      assertProba(
        o.http.probabilities.map((p: Record<string, number>) => classes.map((k) => p[k])),
        c.proba,
        c.rel,
      );
    }
  });

  it("modelserve serve answers every format over HTTP, docs included", async () => {
    const child: ChildProcess = spawn(
      join(project, "node_modules/.bin/modelserve"),
      ["serve", "--port", "0", "--log-level", "warn", ...cases.map((c) => `${c.name}=${c.file}`)],
      { cwd: project, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = "";
        const timer = setTimeout(() => reject(new Error(`no banner in 120 s: ${err}`)), 120_000);
        child.stderr!.on("data", (d) => {
          err += d;
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      for (const c of cases) {
        const res = await fetch(`${url}/models/${c.name}/predict/batch`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ instances: c.rows }),
        });
        const body = (await res.json()) as { predictions: unknown[] };
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.deepEqual(body.predictions, c.predict, c.name);
      }
      for (const path of ["/redoc/static/redoc.standalone.js", "/docs/static/swagger-ui-bundle.js"]) {
        const res = await fetch(url + path);
        assert.equal(res.status, 200, path);
        assert.ok((await res.arrayBuffer()).byteLength > 100_000, path);
      }
    } finally {
      child.kill("SIGTERM");
    }
  });
});
