import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import YAML from "yaml";
import { CONFIG_KEYS, loadConfig } from "../../src/config/config.ts";
import { deploy } from "../../src/deploy.ts";
import { silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";
import { envOf, finalStage, parseDockerfile, ROOT } from "./dockerfile.ts";

const dir = join(ROOT, "deploy/k8s");
const schemas = join(ROOT, "test/fixtures/k8s-schemas");

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML documents.
type Doc = any;

/** Every document of every manifest, with its file. */
const docs: { file: string; doc: Doc }[] = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => {
      assert.deepEqual(d.errors, [], `${file} is valid YAML`);
      return { file, doc: d.toJSON() as Doc };
    }),
  );
const byKind = (kind: string): Doc => {
  const found = docs.filter((d) => d.doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0].doc;
};

/** The vendored schema file of an apiVersion and kind (yannh/openapi2jsonschema naming). */
function schemaFile(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return `${kind.toLowerCase()}${group ? `-${group.split(".")[0]}` : ""}-${version}.json`;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });

describe("deploy/k8s manifests", () => {
  it("are listed in kustomization.yaml, and are exactly a ConfigMap, Deployment, Service, HPA and PDB", () => {
    const k = YAML.parse(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
    assert.deepEqual([...new Set(docs.map((d) => d.file))].sort(), [...k.resources].sort());
    assert.deepEqual(docs.map((d) => `${d.doc.apiVersion} ${d.doc.kind}`).sort(), [
      "apps/v1 Deployment",
      "autoscaling/v2 HorizontalPodAutoscaler",
      "policy/v1 PodDisruptionBudget",
      "v1 ConfigMap",
      "v1 Service",
    ]);
  });

  it("validate against the Kubernetes 1.34 JSON schemas (strict: unknown fields refused)", () => {
    for (const { file, doc } of docs) {
      const schema = JSON.parse(readFileSync(join(schemas, schemaFile(doc.apiVersion, doc.kind)), "utf8"));
      const validate = ajv.compile(schema);
      assert.ok(validate(doc), `${file}: ${ajv.errorsText(validate.errors, { separator: "\n" })}`);
    }
  });

  it("the schemas catch a misspelt field, a wrong type and a wrong kind", () => {
    const deployment = byKind("Deployment");
    const validate = ajv.compile(JSON.parse(readFileSync(join(schemas, "deployment-apps-v1.json"), "utf8")));
    const c = structuredClone(deployment);
    c.spec.template.spec.containers[0].readinesProbe = c.spec.template.spec.containers[0].readinessProbe;
    assert.equal(validate(c), false);
    const t = structuredClone(deployment);
    t.spec.replicas = "two";
    assert.equal(validate(t), false);
    assert.equal(validate({ ...deployment, kind: "StatefulSet" }), false);
  });

  const deployment = byKind("Deployment");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries(
    (container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );

  it("give the shutdown deadline and the preStop pause less time than terminationGracePeriodSeconds", () => {
    const known = new Set([...CONFIG_KEYS.map((k) => k.env), "MODELSERVE_CONFIG"]);
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is a configuration variable`);
    // The deadline the server will use: the image's ENV, then the container's, as loadConfig reads them.
    const image = envOf(finalStage(parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"))));
    const { MODELSERVE_CONFIG: _file, ...rest } = env;
    const deadlineMs = loadConfig({ env: { ...image, ...rest } }).shutdownTimeoutMs;
    assert.equal(deadlineMs, 20_000);
    const preStop = container.lifecycle.preStop.exec.command as string[];
    assert.equal(preStop[0], "sleep");
    const pauseS = Number(preStop[1]);
    assert.ok(pauseS > 0);
    assert.ok(
      pod.terminationGracePeriodSeconds > pauseS + deadlineMs / 1000,
      `${pod.terminationGracePeriodSeconds} s > ${pauseS} s preStop + ${deadlineMs / 1000} s shutdown deadline`,
    );
  });

  it("run as non-root with a read-only root filesystem, with requests and limits", () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
    for (const r of ["cpu", "memory"]) {
      assert.ok(container.resources.requests[r], `requests.${r}`);
      assert.ok(container.resources.limits[r], `limits.${r}`);
    }
    // The only writable place is an emptyDir at /tmp.
    const tmp = container.volumeMounts.find((m: Doc) => m.mountPath === "/tmp");
    assert.ok(pod.volumes.find((v: Doc) => v.name === tmp.name).emptyDir);
  });

  it("tie the Service, HPA and PDB to the Deployment's pods and port", () => {
    const labels = deployment.spec.template.metadata.labels;
    assert.deepEqual(deployment.spec.selector.matchLabels, labels);
    const service = byKind("Service");
    assert.deepEqual(service.spec.selector, labels);
    const port = container.ports.find((p: Doc) => p.name === service.spec.ports[0].targetPort);
    assert.ok(port, "the Service targets the container's named port");
    assert.equal(String(port.containerPort), env.MODELSERVE_PORT);
    const hpa = byKind("HorizontalPodAutoscaler");
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
    const pdb = byKind("PodDisruptionBudget");
    assert.deepEqual(pdb.spec.selector.matchLabels, labels);
    assert.ok(pdb.spec.maxUnavailable < hpa.spec.minReplicas, "a drain never takes every replica");
    const volume = pod.volumes.find((v: Doc) => v.configMap);
    assert.equal(volume.configMap.name, byKind("ConfigMap").metadata.name);
    const mount = container.volumeMounts.find((m: Doc) => m.name === volume.name);
    assert.equal(env.MODELSERVE_CONFIG, `${mount.mountPath}/modelserve.json`);
  });

  it("probe paths the server answers 200 on, once the ConfigMap's configuration is loaded", async () => {
    // The ConfigMap's file, with the image's /app pointing at this repository.
    const file = join(tempDir("k8s"), "modelserve.json");
    writeFileSync(file, byKind("ConfigMap").data["modelserve.json"].replaceAll('"/app/', `"${ROOT}`));
    const svc = await deploy([], { configFile: file, env: {}, port: 0, logger: silent });
    try {
      assert.deepEqual(svc.registry.names(), ["heuristic", "random_forest"]);
      const probes = [container.startupProbe, container.readinessProbe, container.livenessProbe];
      assert.deepEqual(
        probes.map((p) => p.httpGet.path),
        ["/health/ready", "/health/ready", "/health/live"],
      );
      for (const p of probes) {
        assert.equal(p.httpGet.port, "http");
        const res = await fetch(`${svc.url}${p.httpGet.path}`);
        assert.equal(res.status, 200, p.httpGet.path);
      }
    } finally {
      await svc.close();
    }
  });
});
