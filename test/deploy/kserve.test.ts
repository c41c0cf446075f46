/**
 * @module The KServe serving runtime: the manifests in deploy/kserve validate against KServe's own CRD
 * schemas (vendored from kserve/config/crd), the runtime declares what KServe needs, and modelserve
 * started with exactly the manifest's command and arguments (only the model directory and the two
 * ports swapped for test values) answers KServe's probes, V1, V2 REST and V2 gRPC.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import YAML from "yaml";
import { createBundle } from "../../src/bundle/create-bundle.ts";
import { classifyModelDir, kserveArgs } from "../../src/cli/kserve-args.ts";
import { callOk, decodeRaw, oipClient, rawFp32 } from "../protocols/oip.ts";
import { tempDir } from "../temp-dir.ts";
import { ROOT } from "./dockerfile.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML documents.
type Doc = any;

const dir = join(ROOT, "deploy/kserve");
const FOREST = join(ROOT, "examples/iris/models/random_forest.joblib");
const XGB = join(ROOT, "examples/iris/models/xgboost.json");

const manifests: { file: string; doc: Doc }[] = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((file) => ({ file, doc: YAML.parse(readFileSync(join(dir, file), "utf8")) }));
const runtime = manifests.find((m) => m.doc.kind === "ClusterServingRuntime")!.doc;
const services = manifests.filter((m) => m.doc.kind === "InferenceService");
const container = runtime.spec.containers.find((c: Doc) => c.name === "kserve-container");

/** The openAPIV3Schema of a CRD version, from the vendored CRD file. */
function crdSchema(file: string, version: string): Doc {
  const crd = YAML.parse(readFileSync(join(ROOT, "vendor/kserve-crd", file), "utf8"));
  const v = crd.spec.versions.find((x: Doc) => x.name === version);
  assert.ok(v, `${file} has version ${version}`);
  return v.schema.openAPIV3Schema;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validateRuntime = ajv.compile(crdSchema("serving.kserve.io_clusterservingruntimes.yaml", "v1alpha1"));
const validateService = ajv.compile(crdSchema("serving.kserve.io_inferenceservices.yaml", "v1beta1"));

describe("deploy/kserve manifests", () => {
  it("hold one ClusterServingRuntime and an InferenceService per format", () => {
    assert.equal(runtime.apiVersion, "serving.kserve.io/v1alpha1");
    assert.deepEqual(services.map((s) => s.doc.spec.predictor.model.modelFormat.name).sort(), [
      "lightgbm",
      "onnx",
      "sklearn",
      "xgboost",
    ]);
    for (const s of services) assert.equal(s.doc.apiVersion, "serving.kserve.io/v1beta1");
  });

  it("validate against KServe's CRD schemas", () => {
    assert.ok(validateRuntime(runtime), ajv.errorsText(validateRuntime.errors, { separator: "\n" }));
    for (const s of services)
      assert.ok(
        validateService(s.doc),
        `${s.file}: ${ajv.errorsText(validateService.errors, { separator: "\n" })}`,
      );
  });

  it("the schemas catch a wrong type and a missing required field", () => {
    const t = structuredClone(runtime);
    t.spec.protocolVersions = "v2";
    assert.equal(validateRuntime(t), false);
    const p = structuredClone(runtime);
    p.spec.containers[0].ports[0].containerPort = "http";
    assert.equal(validateRuntime(p), false);
    const m = structuredClone(runtime);
    delete m.spec.containers;
    assert.equal(validateRuntime(m), false);
    const s = structuredClone(services[0].doc);
    s.spec.predictor.model.storageUri = 42;
    assert.equal(validateService(s), false);
  });

  it("declare formats with versions and autoSelect, V1 and V2, kserve-container, ports and Prometheus", () => {
    for (const name of ["sklearn", "xgboost", "lightgbm", "onnx"]) {
      const formats = runtime.spec.supportedModelFormats.filter((f: Doc) => f.name === name);
      assert.ok(formats.length > 0, name);
      for (const f of formats) {
        assert.match(f.version, /^\d+$/);
        assert.equal(f.autoSelect, true);
      }
    }
    assert.deepEqual(runtime.spec.protocolVersions, ["v1", "v2"]);
    assert.ok(container, "a container named kserve-container");
    assert.deepEqual(
      container.ports.map((p: Doc) => [p.name, p.containerPort]),
      [
        ["http1", 8080],
        ["h2c", 8081],
      ],
    );
    assert.equal(runtime.spec.annotations["prometheus.kserve.io/port"], "8080");
    assert.equal(runtime.spec.annotations["prometheus.kserve.io/path"], "/metrics");
    assert.equal(container.readinessProbe.httpGet.port, 8080);
    for (const s of services) {
      const model = s.doc.spec.predictor.model;
      assert.equal(model.runtime, runtime.metadata.name, s.file);
      assert.ok(runtime.spec.protocolVersions.includes(model.protocolVersion), s.file);
      assert.match(model.storageUri, /^(s3|gs|https|pvc|hf):\/\//, s.file);
    }
  });
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

describe("KServe's argument conventions", () => {
  const tmp = () => tempDir("kserve-test");

  it("a folder with one model file, a file, a repository and a bundle", async () => {
    const folder = tmp();
    copyFileSync(FOREST, join(folder, "model.joblib"));
    assert.deepEqual(classifyModelDir(folder), { kind: "file", path: join(folder, "model.joblib") });
    assert.deepEqual(classifyModelDir(XGB), { kind: "file", path: XGB });
    const repo = tmp();
    mkdirSync(join(repo, "iris", "1"), { recursive: true });
    copyFileSync(FOREST, join(repo, "iris", "1", "model.joblib"));
    assert.deepEqual(classifyModelDir(repo), { kind: "repository" });
    const bundle = join(tmp(), "b");
    await createBundle(FOREST, { name: "iris", version: "3", out: bundle });
    assert.deepEqual(classifyModelDir(bundle), { kind: "bundle" });

    const argv = (...a: string[]) => kserveArgs(["node", "modelserve", ...a]).slice(2);
    assert.deepEqual(
      argv("--model_name=iris", `--model_dir=${folder}`, "--http_port=8080", "--grpc_port", "8081"),
      [
        "serve",
        "--http_port=8080",
        "--grpc_port",
        "8081",
        `iris=${join(folder, "model.joblib")}`,
        "--default-model",
        "iris",
      ],
    );
    assert.deepEqual(argv("--model_dir", repo, "--http_port=9000"), [
      "serve",
      "--http_port=9000",
      "--repository",
      repo,
    ]);
    const fromBundle = argv("--model_name=iris", `--model_dir=${bundle}`);
    assert.equal(fromBundle[1], "--repository");
    assert.deepEqual(readdirSync(join(fromBundle[2], "iris")), ["1"]);
    assert.deepEqual(classifyModelDir(join(fromBundle[2], "iris", "1")), { kind: "bundle" });
    // Anything else passes through untouched.
    assert.deepEqual(kserveArgs(["n", "m", "serve", "--port", "1", "x.joblib"]), [
      "n",
      "m",
      "serve",
      "--port",
      "1",
      "x.joblib",
    ]);
    assert.throws(() => kserveArgs(["n", "m", "--model_dir"]), /--model_dir needs a value/);
  });

  it("the repository made for a bundle is removed when the process exits", async () => {
    const bundle = join(tmp(), "b");
    await createBundle(FOREST, { name: "iris", version: "3", out: bundle });
    const scratch = tmp();
    const code = [
      `import { kserveArgs } from ${JSON.stringify(join(ROOT, "src/cli/kserve-args.ts"))};`,
      `const a = kserveArgs(["node", "modelserve", "--model_name=iris", ${JSON.stringify(`--model_dir=${bundle}`)}]);`,
      "process.stdout.write(a[4]);",
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      env: { ...process.env, TMPDIR: scratch },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let repo = "";
    child.stdout.on("data", (d) => {
      repo += d;
    });
    const status = await new Promise((r) => child.once("exit", r));
    assert.equal(status, 0);
    // The process made its copy in its temp folder, then took it away on exit.
    assert.ok(repo.startsWith(join(scratch, "modelserve-kserve-")), repo);
    assert.deepEqual(readdirSync(scratch), []);
  });

  it("modelserve started with the runtime's command and args answers KServe's probes, V1 and V2", {
    timeout: 60_000,
  }, async () => {
    const models = tmp();
    copyFileSync(FOREST, join(models, "model.joblib"));
    const [http, grpcPort] = [await freePort(), await freePort()];
    // Exactly the manifest's command line, with KServe's template and this machine's paths and ports.
    const args = (container.args as string[]).map((a) =>
      a
        .replace("{{.Name}}", "iris")
        .replace("=/mnt/models", `=${models}`)
        .replace("--http_port=8080", `--http_port=${http}`)
        .replace("--grpc_port=8081", `--grpc_port=${grpcPort}`),
    );
    assert.deepEqual(container.command, ["modelserve"]);
    assert.equal(args.length, 4);
    const env = Object.fromEntries((container.env as Doc[]).map((e) => [e.name, e.value]));
    const child = spawn(process.execPath, [join(ROOT, "bin/modelserve.js"), ...args], {
      env: { ...process.env, ...env, MODELSERVE_HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const base = `http://127.0.0.1:${http}`;
    try {
      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        ready = await fetch(`${base}${container.readinessProbe.httpGet.path}`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, `ready within 30 s; output: ${out}`);
      assert.equal((await fetch(`${base}${container.livenessProbe.httpGet.path}`)).status, 200);
      assert.equal(
        (await fetch(`${base}${runtime.spec.annotations["prometheus.kserve.io/path"]}`)).status,
        200,
      );
      assert.deepEqual(await (await fetch(`${base}/v1/models/iris`)).json(), { name: "iris", ready: true });
      assert.deepEqual(await (await fetch(`${base}/v2/models/iris/ready`)).json(), {
        name: "iris",
        ready: true,
      });
      const rest = await fetch(`${base}/v2/models/iris/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          inputs: [
            {
              name: "input-0",
              shape: [2, 4],
              datatype: "FP32",
              data: [5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3],
            },
          ],
        }),
      });
      assert.equal(rest.status, 200);
      const body = (await rest.json()) as Doc;
      assert.deepEqual(body.outputs[0], {
        name: "predict",
        datatype: "BYTES",
        shape: [2],
        data: ["setosa", "virginica"],
      });
      const v1 = await fetch(`${base}/v1/models/iris:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
      });
      assert.deepEqual(await v1.json(), { predictions: ["setosa"] });
      const client = oipClient(grpcPort);
      try {
        assert.deepEqual(await callOk(client, "ServerReady", {}), { ready: true });
        const g = await callOk<{ raw_output_contents: Buffer[] }>(client, "ModelInfer", {
          model_name: "iris",
          inputs: [{ name: "input-0", datatype: "FP32", shape: [2, 4] }],
          raw_input_contents: [rawFp32([5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3])],
        });
        assert.deepEqual(decodeRaw("BYTES", g.raw_output_contents[0]), ["setosa", "virginica"]);
      } finally {
        client.close();
      }
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    assert.equal(child.exitCode, 0, `graceful exit; output: ${out}`);
  });
});
