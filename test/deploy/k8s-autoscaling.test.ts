import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import YAML from "yaml";
import { IRIS_ROW, makeApp } from "../helpers.ts";
import { ROOT } from "./dockerfile.ts";

const dir = join(ROOT, "deploy/k8s-autoscaling");
const schemas = join(ROOT, "test/fixtures/k8s-schemas");

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML documents.
type Doc = any;

const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
const docOf = (file: string): Doc => {
  const all = YAML.parseAllDocuments(readFileSync(join(dir, file), "utf8"));
  assert.equal(all.length, 1, `${file} holds one document`);
  assert.deepEqual(all[0]!.errors, [], `${file} is valid YAML`);
  return all[0]!.toJSON();
};
const deploymentName = YAML.parse(readFileSync(join(ROOT, "deploy/k8s/deployment.yaml"), "utf8")).metadata
  .name;

describe("deploy/k8s-autoscaling manifests", () => {
  it("are the custom-metric HPA, the prometheus-adapter rule and the KEDA ScaledObject", () => {
    assert.deepEqual(files.sort(), [
      "hpa-custom-metric.yaml",
      "keda-scaledobject.yaml",
      "prometheus-adapter-values.yaml",
    ]);
  });

  it("the HPA validates against the Kubernetes schema and scales the metric the adapter publishes", () => {
    const hpa = docOf("hpa-custom-metric.yaml");
    const schema = JSON.parse(
      readFileSync(join(schemas, "horizontalpodautoscaler-autoscaling-v2.json"), "utf8"),
    );
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    // A copy: the validator is a type guard that would narrow `hpa` itself to `unknown`.
    assert.ok(validate(structuredClone(hpa)), JSON.stringify(validate.errors));
    assert.equal(hpa.spec.scaleTargetRef.name, deploymentName);
    const adapter = docOf("prometheus-adapter-values.yaml");
    const published = adapter.rules.custom.map((r: Doc) => r.name.as);
    const used = hpa.spec.metrics.filter((m: Doc) => m.type === "Pods").map((m: Doc) => m.pods.metric.name);
    assert.deepEqual(used, published);
  });

  it("the KEDA ScaledObject targets the Deployment with Prometheus triggers and numeric thresholds", () => {
    const so = docOf("keda-scaledobject.yaml");
    assert.equal(so.apiVersion, "keda.sh/v1alpha1");
    assert.equal(so.kind, "ScaledObject");
    assert.equal(so.spec.scaleTargetRef.name, deploymentName);
    assert.ok(so.spec.triggers.length >= 1);
    for (const t of so.spec.triggers) {
      assert.equal(t.type, "prometheus");
      assert.match(t.metadata.serverAddress, /^https?:\/\//);
      assert.equal(typeof t.metadata.threshold, "string", "KEDA reads thresholds as strings");
      assert.ok(Number.isFinite(Number(t.metadata.threshold)));
      assert.match(t.metadata.query, /modelserve_model_/);
    }
  });

  it("every modelserve series the manifests query is one the server exposes", async () => {
    const { fastify } = makeApp();
    await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
    const text = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]!));
    const queried = new Set<string>();
    for (const f of files) {
      const raw = readFileSync(join(dir, f), "utf8");
      for (const m of raw.matchAll(/modelserve_model_[a-z_]+/g)) queried.add(m[0]);
    }
    queried.delete("modelserve_model_pending_requests"); // the adapter's own name for its sum
    assert.ok(queried.size >= 3);
    for (const q of queried) {
      const base = q.replace(/_(bucket|sum|count)$/, "");
      assert.ok(exposed.has(base), `${q} is not in /metrics`);
    }
    await fastify.close();
  });
});
