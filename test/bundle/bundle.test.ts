import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create as createTar } from "tar";
import { createBundle } from "../../src/bundle/create-bundle.ts";
import { MANIFEST } from "../../src/bundle/manifest.ts";
import { loadBundle, openBundle } from "../../src/bundle/open-bundle.ts";
import { isModelServeError } from "../../src/errors.ts";
import { sha256Hex } from "../../src/util/hash.ts";
import { modelSource, tempDir } from "../lifecycle-helpers.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

/** A model file (y = 3x + 1), golden inputs and the outputs that formula gives. */
function workspace() {
  const dir = tempDir("bundle");
  const model = join(dir, "lin.mjs");
  writeFileSync(model, modelSource(3, 1));
  const xs = [0, 1.5, -2, 10];
  writeFileSync(join(dir, "inputs.json"), JSON.stringify(xs.map((x) => ({ x }))));
  writeFileSync(join(dir, "expected.json"), JSON.stringify({ predict: xs.map((x) => 3 * x + 1) }));
  writeFileSync(join(dir, "meta.json"), JSON.stringify({ accuracy: 0.97, owner: "risk-team" }));
  return { dir, model };
}

const code = (c: string) => (e: unknown) => isModelServeError(e) && e.code === c;

async function bundleIn(dir: string, model: string, out: string) {
  return createBundle(model, {
    name: "lin",
    version: "7",
    out,
    samples: join(dir, "inputs.json"),
    expected: join(dir, "expected.json"),
    metadata: join(dir, "meta.json"),
  });
}

describe("bundles", () => {
  it("packs model, samples and metadata with checksums, and loads only after the golden check", async () => {
    const { dir, model } = workspace();
    const out = join(dir, "bundle");
    const created = await bundleIn(dir, model, out);
    assert.equal(created.manifest.files.length, 3);
    assert.equal(created.manifest.samples?.source, "training");
    assert.deepEqual(created.manifest.metadata, { accuracy: 0.97, owner: "risk-team" });
    assert.deepEqual(
      created.manifest.signature?.inputs.map((f) => f.name),
      ["x"],
    );
    const loaded = await loadBundle(out);
    assert.equal(loaded.golden?.compared, 4);
    assert.equal(loaded.golden?.diffs.length, 0);
    assert.equal(loaded.manifest.version, "7");
  });

  it("refuses to create a bundle whose model does not reproduce the expected outputs", async () => {
    const { dir, model } = workspace();
    writeFileSync(join(dir, "expected.json"), JSON.stringify({ predict: [1, 5.5, -5, 30] }));
    await assert.rejects(bundleIn(dir, model, join(dir, "b")), code("MS_GOLDEN_MISMATCH"));
  });

  it("refuses a bundle whose model file has a flipped byte", async () => {
    const { dir, model } = workspace();
    const out = join(dir, "bundle");
    await bundleIn(dir, model, out);
    const file = join(out, "model", "lin.mjs");
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0x01;
    writeFileSync(file, bytes);
    await assert.rejects(
      loadBundle(out),
      (e: unknown) =>
        code("MS_BUNDLE_TAMPERED")(e) && /model\/lin\.mjs has sha256/.test((e as Error).message),
    );
  });

  it("refuses an edited golden sample: as tampering, and with a diff when the manifest was re-signed", async () => {
    const { dir, model } = workspace();
    const out = join(dir, "bundle");
    await bundleIn(dir, model, out);
    const expectedFile = join(out, "samples", "expected.json");
    const edited = JSON.stringify({ predict: [1, 5.5, -5, 99] });
    writeFileSync(expectedFile, edited);
    await assert.rejects(loadBundle(out), code("MS_BUNDLE_TAMPERED"));
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST), "utf8"));
    const entry = manifest.files.find((f: { path: string }) => f.path === "samples/expected.json");
    entry.sha256 = sha256Hex(edited);
    entry.size = Buffer.byteLength(edited);
    writeFileSync(join(out, MANIFEST), JSON.stringify(manifest));
    await assert.rejects(loadBundle(out), (e: unknown) => {
      assert.ok(code("MS_GOLDEN_MISMATCH")(e));
      const diffs = (e as { details: { diffs: { sample: number; expected: unknown; actual: unknown }[] } })
        .details.diffs;
      assert.deepEqual(diffs, [{ sample: 3, output: "predict", expected: 99, actual: 31 }]);
      return true;
    });
    const cli = await run(process.execPath, [join(root, "bin/modelserve.js"), "check", out]).catch((e) => e);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /sample 3 {2}predict: expected 99, got 31/);
    assert.match(cli.stderr, /\[MS_GOLDEN_MISMATCH\]/);
  });

  it("never lets a manifest path escape the bundle", async () => {
    const { dir, model } = workspace();
    const out = join(dir, "bundle");
    await bundleIn(dir, model, out);
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST), "utf8"));
    for (const bad of ["../lin.mjs", "/etc/passwd", "model/../../x", "C:\\x"]) {
      writeFileSync(
        join(out, MANIFEST),
        JSON.stringify({
          ...manifest,
          files: [...manifest.files, { path: bad, sha256: "0".repeat(64), size: 1 }],
        }),
      );
      await assert.rejects(openBundle(out), code("MS_INVALID_BUNDLE"), bad);
    }
    writeFileSync(join(out, MANIFEST), JSON.stringify(manifest));
    const meta = join(out, "samples", "inputs.json");
    const content = readFileSync(meta);
    unlinkSync(meta);
    writeFileSync(join(dir, "outside.json"), content);
    symlinkSync(join(dir, "outside.json"), meta);
    await assert.rejects(
      openBundle(out),
      (e: unknown) => code("MS_BUNDLE_TAMPERED")(e) && /symbolic link/.test((e as Error).message),
    );
  });

  it("round-trips as a .tar.gz and refuses archives holding links", async () => {
    const { dir, model } = workspace();
    const archive = join(dir, "lin-7.tar.gz");
    await bundleIn(dir, model, archive);
    const loaded = await loadBundle(archive);
    assert.equal(loaded.golden?.diffs.length, 0);
    const linkDir = tempDir("evil");
    symlinkSync("/etc/passwd", join(linkDir, "modelserve.json"));
    const evil = join(dir, "evil.tar.gz");
    await createTar({ gzip: true, file: evil, cwd: linkDir }, ["modelserve.json"]);
    await assert.rejects(
      loadBundle(evil),
      (e: unknown) => code("MS_INVALID_BUNDLE")(e) && /not plain files/.test((e as Error).message),
    );
  });

  it("checks a good bundle from the command line", async () => {
    const { dir, model } = workspace();
    const out = join(dir, "cli-bundle");
    const made = await run(process.execPath, [
      join(root, "bin/modelserve.js"),
      "bundle",
      model,
      "--name",
      "lin",
      "--version",
      "2",
      "--out",
      out,
      "--samples",
      join(dir, "inputs.json"),
      "--expected",
      join(dir, "expected.json"),
    ]);
    assert.match(made.stdout, /bundle lin@2 written/);
    const checked = await run(process.execPath, [join(root, "bin/modelserve.js"), "check", out]);
    assert.match(checked.stdout, /3 files match their sha256 and size/);
    assert.match(checked.stdout, /all 4 golden outputs match/);
  });

  it("documents a served bundle with its first golden sample and the model's answer to it", async () => {
    const { dir, model } = workspace();
    // A first sample unlike any default example (a float feature would default to 0).
    writeFileSync(join(dir, "inputs.json"), JSON.stringify([{ x: 2.5 }, { x: -1 }]));
    writeFileSync(join(dir, "expected.json"), JSON.stringify({ predict: [8.5, -2] }));
    const repo = join(dir, "repo");
    await bundleIn(dir, model, join(repo, "lin", "7"));
    const { deploy } = await import("../../src/deploy.ts");
    const svc = await deploy([], { port: 0, repository: repo, logLevel: "silent" });
    try {
      const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
        paths: Record<
          string,
          {
            post: {
              requestBody: { content: Record<string, { example: unknown }> };
              responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
            };
          }
        >;
      };
      const op = doc.paths["/models/lin/predict"]!.post;
      // inputs.json starts with {"x": 2.5}; the model (3x + 1) answers 8.5 to it.
      assert.deepEqual(op.requestBody.content["application/json"]!.example, { x: 2.5 });
      assert.deepEqual(op.responses["200"]!.content!["application/json"]!.example, {
        model: "lin",
        version: "7",
        prediction: 8.5,
      });
    } finally {
      await svc.close();
    }
  });
});
