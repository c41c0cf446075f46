import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { DEFAULT_BASE_IMAGE, HEALTHCHECK_COMMAND } from "../../src/cli/docker-command.ts";
import { tempDir } from "../temp-dir.ts";
import {
  envOf,
  execForm,
  finalStage,
  healthcheckOf,
  type Instruction,
  parseDockerfile,
  ROOT,
  runImage,
  waitHealthy,
} from "./dockerfile.ts";

const run = promisify(execFile);
const bin = join(ROOT, "bin/modelserve.js");
const tmp = tempDir("docker");
const iris = join(ROOT, "examples/iris");

const one = (stage: readonly Instruction[], keyword: string) => {
  const found = stage.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword}`);
  return found[0].args;
};

/** Checks what every modelserve image must have, in its final stage. */
function checkRuntimeStage(stage: readonly Instruction[]): void {
  const user = one(stage, "USER");
  assert.ok(!/^(root|0)(:|$)/.test(user), `USER ${user} must not be root`);
  assert.deepEqual(execForm(one(stage, "ENTRYPOINT")), ["modelserve"]);
  assert.equal(execForm(one(stage, "CMD"))[0], "serve");
  assert.equal(one(stage, "STOPSIGNAL"), "SIGTERM");
  const env = envOf(stage);
  assert.equal(env.MODELSERVE_HOST, "0.0.0.0", "reachable from outside the container");
  assert.equal(one(stage, "EXPOSE"), env.MODELSERVE_PORT);
  const hc = healthcheckOf(stage);
  assert.deepEqual(hc.cmd, [...HEALTHCHECK_COMMAND]);
  assert.match(hc.cmd[2], /\/health\/ready/);
  assert.ok(
    hc.options.some((o) => o.startsWith("--start-period=")),
    "a start period for slow model loads",
  );
}

describe("the repository Dockerfile", () => {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const all = parseDockerfile(text);
  const stage = finalStage(all);

  it("builds in one Node 24 bookworm-slim stage and runs production dependencies only in another", () => {
    const arg = all.find((i) => i.keyword === "ARG" && i.args.startsWith("NODE_IMAGE="));
    assert.equal(arg?.args, "NODE_IMAGE=node:24-bookworm-slim");
    // FROM lines with the ARG substituted, as the builder does.
    const froms = all
      .filter((i) => i.keyword === "FROM")
      .map((i) => i.args.replace(/\$\{NODE_IMAGE\}/g, arg!.args.split("=")[1]));
    assert.deepEqual(froms, ["node:24-bookworm-slim AS build", "node:24-bookworm-slim AS runtime"]);
    const build = all.slice(0, all.indexOf(stage[0]));
    const runs = (s: readonly Instruction[]) => s.filter((i) => i.keyword === "RUN").map((i) => i.args);
    assert.ok(runs(build).some((r) => /^npm ci\b/.test(r)));
    assert.ok(runs(build).includes("npm run build"));
    assert.ok(
      runs(stage).some((r) => r.startsWith("npm ci --omit=dev")),
      "production dependencies only",
    );
    assert.ok(stage.some((i) => i.keyword === "COPY" && i.args === "--from=build /src/dist ./dist"));
    for (const s of [build, stage]) assert.equal(envOf(s).ONNXRUNTIME_NODE_INSTALL, "skip");
    checkRuntimeStage(stage);
  });

  it("copies only files that exist and that .dockerignore lets into the build context", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    const sources = all
      .filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    assert.ok(sources.length >= 6);
    for (const src of sources) {
      assert.ok(existsSync(join(ROOT, src)), `${src} exists`);
      assert.ok(!ignored.includes(src), `${src} is not in .dockerignore`);
    }
    // What the package needs at run time ("files" in package.json, less the docs) is in the image.
    const files = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] }).files;
    for (const f of files.filter((x) => !["docs", "README.md", "dist"].includes(x)))
      assert.ok(sources.includes(f), `${f} is copied`);
    assert.match(text, /ln -s \/app \/node_modules\/modelserve/);
  });

  it("its ENTRYPOINT and CMD serve a repository mounted at /models, and its HEALTHCHECK passes", async () => {
    const repo = join(tmp, "repo");
    mkdirSync(join(repo, "decision_tree/1"), { recursive: true });
    mkdirSync(join(repo, "heuristic/1"), { recursive: true });
    cpSync(join(iris, "models/decision_tree.joblib"), join(repo, "decision_tree/1/decision_tree.joblib"));
    // A TypeScript model importing "modelserve" from outside the package, as under /models.
    cpSync(join(iris, "heuristic.ts"), join(repo, "heuristic/1/heuristic.ts"));
    const c = await runImage(text, ROOT, { mounts: { "/models": repo } });
    try {
      assert.equal(await waitHealthy(c), 0, "HEALTHCHECK exits 0 once ready");
      const ready = await fetch(`http://127.0.0.1:${c.port}/health/ready`);
      assert.equal(ready.status, 200);
      const models = (await (await fetch(`http://127.0.0.1:${c.port}/models`)).json()) as {
        models: { name: string }[];
      };
      assert.deepEqual(models.models.map((m) => m.name).sort(), ["decision_tree", "heuristic"]);
      const res = await fetch(`http://127.0.0.1:${c.port}/models/heuristic/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
      });
      assert.equal(((await res.json()) as { prediction: string }).prediction, "setosa");
    } finally {
      assert.equal(await c.stop(), 0, "STOPSIGNAL ends it gracefully with exit 0");
    }
    assert.notEqual(await c.healthcheck(), 0, "HEALTHCHECK fails once the server is gone");
  });
});

describe("modelserve docker", () => {
  it("writes a Dockerfile that bakes a model file in, and its command serves the model", async () => {
    const out = join(tmp, "heuristic-image");
    const { stdout } = await run(process.execPath, [bin, "docker", join(iris, "heuristic.ts"), "--out", out]);
    assert.match(stdout, /the image runs: modelserve serve \/models\/heuristic\.ts/);
    const text = readFileSync(join(out, "Dockerfile"), "utf8");
    const stage = parseDockerfile(text);
    assert.equal(one(stage, "FROM"), DEFAULT_BASE_IMAGE);
    assert.equal(one(stage, "COPY"), "--chown=root:root models/ /models/");
    assert.equal(
      readFileSync(join(out, "models/heuristic.ts"), "utf8"),
      readFileSync(join(iris, "heuristic.ts"), "utf8"),
    );
    assert.deepEqual(execForm(one(stage, "CMD")), ["serve", "/models/heuristic.ts"]);
    checkRuntimeStage(stage);
    const ignore = readFileSync(join(out, ".dockerignore"), "utf8").split("\n");
    assert.ok(ignore.includes("*") && ignore.includes("!models/"));

    const c = await runImage(text, out);
    try {
      assert.equal(await waitHealthy(c), 0);
      const res = await fetch(`http://127.0.0.1:${c.port}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: [6.3, 3.3, 6.0, 2.5] }),
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { prediction: string }).prediction, "virginica");
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });

  it("puts a bundle into a repository layout and serves it with --repository", async () => {
    const bundle = join(tmp, "bundle");
    await run(process.execPath, [
      bin,
      "bundle",
      join(iris, "models/random_forest.joblib"),
      "--name",
      "iris_rf",
      "--version",
      "3",
      "--samples",
      join(iris, "golden/random_forest.inputs.json"),
      "--expected",
      join(iris, "golden/random_forest.expected.json"),
      "--out",
      bundle,
    ]);
    const out = join(tmp, "bundle-image");
    await run(process.execPath, [
      bin,
      "docker",
      bundle,
      "--out",
      out,
      "--base-image",
      "registry.example/modelserve:0.1.0",
    ]);
    const text = readFileSync(join(out, "Dockerfile"), "utf8");
    const stage = parseDockerfile(text);
    assert.equal(one(stage, "FROM"), "registry.example/modelserve:0.1.0");
    assert.deepEqual(execForm(one(stage, "CMD")), ["serve", "--repository", "/models"]);
    assert.ok(existsSync(join(out, "models/iris_rf/3/modelserve.json")));
    const c = await runImage(text, out);
    try {
      assert.equal(await waitHealthy(c), 0);
      const body = (await (await fetch(`http://127.0.0.1:${c.port}/models/iris_rf`)).json()) as {
        defaultVersion: string;
      };
      assert.equal(body.defaultVersion, "3");
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });

  it("refuses a URL, a non-empty output directory and a missing model with one line", async () => {
    const fail = async (...args: string[]) => {
      try {
        await run(process.execPath, [bin, "docker", ...args]);
        assert.fail("expected a failure");
      } catch (err) {
        const e = err as { code: number; stderr: string };
        assert.equal(e.code, 1);
        return e.stderr;
      }
    };
    assert.match(
      await fail("http://127.0.0.1:8000", "--out", join(tmp, "u")),
      /takes a model file, a bundle or a repository/,
    );
    assert.match(await fail(join(iris, "heuristic.ts"), "--out", iris), /is not empty/);
    assert.match(await fail(join(tmp, "missing.joblib"), "--out", join(tmp, "m")), /MS_MODEL_FILE_NOT_FOUND/);
  });
});
