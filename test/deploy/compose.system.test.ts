import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { HEALTHCHECK_COMMAND } from "../../src/cli/docker-command.ts";
import { CONFIG_KEYS, loadConfig, parseModelArg, parseSplit } from "../../src/config/config.ts";
import { envOf, finalStage, parseDockerfile, ROOT, runImage, waitHealthy } from "./dockerfile.ts";

const dir = join(ROOT, "deploy/compose");
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const imageEnv = envOf(finalStage(parseDockerfile(dockerfile)));

interface Mount {
  readonly type: string;
  readonly source: string;
  readonly target: string;
  readonly read_only?: boolean;
}

interface Service {
  readonly build?: { context: string; dockerfile: string };
  readonly image: string;
  readonly command?: string[];
  readonly ports?: string[];
  readonly environment?: Record<string, string | number | boolean>;
  readonly volumes?: Mount[];
  readonly healthcheck?: { test: string[]; start_period?: string };
  readonly stop_grace_period?: string;
  readonly read_only?: boolean;
  readonly depends_on?: Record<string, { condition: string }>;
}

function load(file: string): { services: Record<string, Service> } {
  const doc = YAML.parseDocument(readFileSync(join(dir, file), "utf8"), { merge: true });
  assert.deepEqual(doc.errors, [], `${file} is valid YAML`);
  const data = doc.toJSON() as { services: Record<string, Service> };
  assert.equal(typeof data.services, "object");
  return data;
}

const seconds = (d: string) => {
  const m = /^(\d+)(s|m)$/.exec(d);
  assert.ok(m, `duration ${d}`);
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
};

/** Checks what every modelserve service must have, and returns its environment as strings. */
function checkModelserve(name: string, s: Service): Record<string, string> {
  assert.equal(resolve(dir, s.build!.context), resolve(ROOT), `${name} builds the repository`);
  assert.ok(existsSync(join(ROOT, s.build!.dockerfile)));
  assert.deepEqual(s.healthcheck?.test, ["CMD", ...HEALTHCHECK_COMMAND], `${name}: the image's health check`);
  const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
  const known = new Set(CONFIG_KEYS.map((k) => k.env));
  for (const k of Object.keys(env)) assert.ok(known.has(k), `${name}: ${k} is a configuration variable`);
  // The environment is a valid configuration (as the container's loadConfig will see it).
  const config = loadConfig({ env: { ...imageEnv, ...env } });
  assert.ok(
    seconds(s.stop_grace_period!) * 1000 > config.shutdownTimeoutMs,
    `${name}: stop_grace_period outlasts the shutdown deadline`,
  );
  assert.equal(s.read_only, true, `${name}: read-only root filesystem`);
  for (const v of s.volumes ?? []) {
    assert.equal(v.read_only, true, `${name}: ${v.target} read-only`);
    assert.ok(existsSync(resolve(dir, v.source)), `${name}: ${v.source} exists`);
  }
  return env;
}

/** The service's mounts as `runImage` takes them. */
const mountsOf = (s: Service) =>
  Object.fromEntries((s.volumes ?? []).map((v) => [v.target, resolve(dir, v.source)]));

describe("deploy/compose/compose.yaml: modelserve's own split", () => {
  const { services } = load("compose.yaml");

  it("serves a repository of two versions with a weighted split on one port", () => {
    assert.deepEqual(Object.keys(services), ["modelserve"]);
    const s = services.modelserve;
    assert.deepEqual(s.ports, ["8000:8000"]);
    const env = checkModelserve("modelserve", s);
    const split = parseSplit(env.MODELSERVE_SPLIT).get(env.MODELSERVE_DEFAULT_MODEL);
    assert.deepEqual(split, [
      { version: "1", weight: 90 },
      { version: "2", weight: 10 },
    ]);
    // Every arm has a version folder in the mounted repository.
    const targets = (s.volumes ?? []).map((v) => v.target);
    for (const arm of split!)
      assert.ok(targets.some((t) => t.startsWith(`${env.MODELSERVE_REPOSITORY}/iris/${arm.version}/`)));
  });

  it("runs: both versions answer through /predict, by weight, sticky per X-Routing-Key", async () => {
    const s = services.modelserve;
    const c = await runImage(dockerfile, ROOT, {
      mounts: mountsOf(s),
      env: { ...checkModelserve("modelserve", s), MODELSERVE_LOG_LEVEL: "warn" },
      // The compose service keeps the image's CMD; its repository comes from the environment.
      cmd: ["serve"],
    });
    try {
      assert.equal(await waitHealthy(c), 0);
      const predict = async (key?: string) => {
        const res = await fetch(`http://127.0.0.1:${c.port}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { "x-routing-key": key } : {}) },
          body: JSON.stringify({ features: [6.1, 2.8, 4.7, 1.2] }),
        });
        assert.equal(res.status, 200);
        return res.headers.get("x-model");
      };
      const counts = new Map<string | null, number>();
      for (let i = 0; i < 400; i++) {
        const m = await predict();
        counts.set(m, (counts.get(m) ?? 0) + 1);
      }
      assert.deepEqual([...counts.keys()].sort(), ["iris@1", "iris@2"]);
      // 10 % of 400 is 40; binomial sd ≈ 6, so 15…75 holds far beyond chance.
      const b = counts.get("iris@2")!;
      assert.ok(b >= 15 && b <= 75, `iris@2 answered ${b} of 400`);
      const first = await predict("user-42");
      for (let i = 0; i < 20; i++) assert.equal(await predict("user-42"), first);
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });
});

describe("deploy/compose/compose.nginx.yaml: two containers behind nginx", () => {
  const { services } = load("compose.nginx.yaml");
  const conf = readFileSync(join(dir, "nginx.conf"), "utf8");

  it("runs two modelserve variants and a proxy that splits by weight and depends on their health", () => {
    assert.deepEqual(Object.keys(services).sort(), ["model-a", "model-b", "proxy"]);
    const served = ["model-a", "model-b"].map((name) => {
      const s = services[name];
      checkModelserve(name, s);
      assert.equal(s.ports, undefined, `${name} is reachable only through the proxy`);
      assert.equal(s.command![0], "serve");
      const entry = parseModelArg(s.command![1]);
      assert.ok(mountsOf(s)[entry.path], `${name} serves a mounted file`);
      return `${entry.name}@${entry.version}`;
    });
    assert.deepEqual(served, ["iris@1", "iris@2"]);
    const proxy = services.proxy;
    assert.match(proxy.image, /^nginx:/);
    assert.deepEqual(proxy.ports, ["8000:8000"]);
    assert.deepEqual(proxy.depends_on, {
      "model-a": { condition: "service_healthy" },
      "model-b": { condition: "service_healthy" },
    });
    assert.equal(resolve(dir, proxy.volumes![0].source), join(dir, "nginx.conf"));
    // The split: weights summing to 100 % over upstreams that point at the two services.
    const block = /split_clients\s+"\$\{ab_key\}"\s+\$ab_variant\s*\{([^}]*)\}/.exec(conf);
    assert.ok(block, "a split_clients block");
    const arms = [...block[1].matchAll(/^\s*(\d+(?:\.\d+)?%|\*)\s+(\w+);/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(arms, [
      ["90%", "model_a"],
      ["*", "model_b"],
    ]);
    for (const [upstream, service] of [
      ["model_a", "model-a"],
      ["model_b", "model-b"],
    ]) {
      assert.match(conf, new RegExp(`upstream ${upstream} \\{\\s*server ${service}:8000;`));
    }
    assert.match(conf, /proxy_pass http:\/\/\$ab_variant;/);
    assert.match(conf, /\$http_x_routing_key/);
  });
});
