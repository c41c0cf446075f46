import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import YAML from "yaml";
import { CONFIG_KEYS, loadConfig } from "../../src/config/config.ts";
import { ROOT } from "./dockerfile.ts";

const doc = YAML.parse(readFileSync(join(ROOT, "deploy/k8s-s3/deployment.yaml"), "utf8"));

describe("deploy/k8s-s3: modelserve's own download from S3", () => {
  it("validates against the Kubernetes 1.34 Deployment schema", () => {
    const schema = JSON.parse(
      readFileSync(join(ROOT, "test/fixtures/k8s-schemas/deployment-apps-v1.json"), "utf8"),
    );
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(doc), ajv.errorsText(validate.errors));
  });

  it("sets only known configuration variables, which load as a watched remote repository with a cache", () => {
    const env = Object.fromEntries(
      (doc.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [
        e.name,
        e.value,
      ]),
    );
    const known = new Set(CONFIG_KEYS.map((k) => k.env));
    for (const name of Object.keys(env)) assert.ok(known.has(name), name);
    const c = loadConfig({ env });
    assert.equal(c.repository, "s3://my-models/production");
    assert.equal(c.watch, true);
    assert.equal(c.cacheDir, "/var/cache/modelserve");
    const mounts = doc.spec.template.spec.containers[0].volumeMounts as { mountPath: string }[];
    assert.ok(
      mounts.some((m) => m.mountPath === c.cacheDir),
      "the cache is on a writable volume",
    );
  });
});
