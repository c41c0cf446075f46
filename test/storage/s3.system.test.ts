/**
 * Models from a real S3-compatible server (s3rver on 127.0.0.1, objects uploaded with the AWS SDK),
 * through `deploy()`: first download, warm restarts, changes, an unreachable store, damaged and
 * truncated files, checksums, limits, a watched bucket under load, and no credential in any output.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { type Deployment, deploy } from "../../src/deploy.ts";
import { isModelServeError } from "../../src/errors.ts";
import { modelSource, tempDir } from "../lifecycle-helpers.ts";
import { ACCESS_KEY, type S3Fixture, SECRET_KEY, startS3 } from "./servers.ts";

const examples = new URL("../../examples/iris/", import.meta.url);
const RF = readFileSync(new URL("models/random_forest.joblib", examples));
const TREE = readFileSync(new URL("models/decision_tree.joblib", examples));
const golden = (name: string) => ({
  inputs: JSON.parse(readFileSync(new URL(`golden/${name}.inputs.json`, examples), "utf8")) as unknown[],
  expected: (
    JSON.parse(readFileSync(new URL(`golden/${name}.expected.json`, examples), "utf8")) as {
      predict: unknown[];
    }
  ).predict,
});

let s3: S3Fixture;
let cacheDir: string;
/** Every log line of every deployment in this file, to search for secrets. */
const logLines: string[] = [];
const logger = pino(
  { level: "debug" },
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  }),
);
/** Every body the servers answered, to search for secrets too. */
const bodies: string[] = [];

const options = (extra: Record<string, unknown> = {}) => ({
  port: 0,
  logger,
  cacheDir,
  s3Endpoint: s3.endpoint,
  s3Region: "us-east-1",
  s3ForcePathStyle: true,
  downloadRetries: 0,
  downloadTimeoutMs: 2000,
  ...extra,
});

async function get(d: Deployment, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${d.url}${path}`);
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text };
}

async function predictBatch(d: Deployment, rows: unknown[], model?: string): Promise<unknown[]> {
  const res = await fetch(`${d.url}${model ? `/models/${model}` : ""}/predict/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: rows }),
  });
  const text = await res.text();
  bodies.push(text);
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { predictions: unknown[] }).predictions;
}

const rejectsWith = async (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (e: unknown) => isModelServeError(e) && e.code === code);

before(async () => {
  s3 = await startS3();
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  cacheDir = tempDir("cache");
});

after(async () => {
  await s3.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("models from S3", () => {
  it("downloads a model on the first start and answers like the library", async () => {
    await s3.put("iris/rf.joblib", RF);
    const d = await deploy("s3://models/iris/rf.joblib", options());
    try {
      const { inputs, expected } = golden("random_forest");
      assert.deepEqual(await predictBatch(d, inputs, "rf"), expected);
      assert.equal(s3.bodies.get("iris/rf.joblib"), 1);
      const health = JSON.parse((await get(d, "/health")).text) as {
        storage: { source: string; state: string }[];
      };
      assert.deepEqual(
        health.storage.map((s) => [s.source, s.state]),
        [["s3://models/iris/rf.joblib", "fresh"]],
      );
    } finally {
      await d.close();
    }
  });

  it("starts from a warm cache with a conditional request, without downloading the body", async () => {
    const d = await deploy("s3://models/iris/rf.joblib", options());
    try {
      assert.equal(s3.bodies.get("iris/rf.joblib"), 1);
      const metrics = (await get(d, "/metrics")).text;
      assert.match(metrics, /modelserve_storage_fetches_total\{outcome="unchanged"\} 1/);
      assert.match(metrics, /modelserve_storage_stale\{source="s3:\/\/models\/iris\/rf.joblib"\} 0/);
    } finally {
      await d.close();
    }
  });

  it("downloads again when the object changed, and serves the new model", async () => {
    await s3.put("iris/rf.joblib", TREE);
    const d = await deploy("s3://models/iris/rf.joblib", options());
    try {
      assert.equal(s3.bodies.get("iris/rf.joblib"), 2);
      const { inputs, expected } = golden("decision_tree");
      assert.deepEqual(await predictBatch(d, inputs), expected);
    } finally {
      await d.close();
    }
  });

  it("serves the last verified copy when the store is unreachable, and shows it in /health and /metrics", async () => {
    s3.down = true;
    try {
      const d = await deploy("s3://models/iris/rf.joblib", options());
      try {
        const { inputs, expected } = golden("decision_tree");
        assert.deepEqual(await predictBatch(d, inputs), expected);
        const health = JSON.parse((await get(d, "/health")).text) as {
          status: string;
          storage: { state: string; error: string }[];
        };
        assert.equal(health.status, "ok");
        assert.equal(health.storage[0].state, "stale");
        assert.match(health.storage[0].error, /MS_STORAGE_UNREACHABLE|cannot reach/);
        assert.match(
          (await get(d, "/metrics")).text,
          /modelserve_storage_stale\{source="s3:\/\/models\/iris\/rf.joblib"\} 1/,
        );
      } finally {
        await d.close();
      }
      // Without a cached copy, an unreachable store stops the start with its code.
      await rejectsWith(deploy("s3://models/iris/never-cached.joblib", options()), "MS_STORAGE_UNREACHABLE");
    } finally {
      s3.down = false;
    }
  });

  it("downloads again a cached file that was damaged on disk", async () => {
    const entries = readdirSync(join(cacheDir, "objects"));
    const damaged = entries
      .map((e) => join(cacheDir, "objects", e))
      .find((dir) => readFileSync(join(dir, "entry.json"), "utf8").includes("iris/rf.joblib"))!;
    const entry = JSON.parse(readFileSync(join(damaged, "entry.json"), "utf8")) as { file: string };
    const file = join(damaged, entry.file);
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff;
    writeFileSync(file, bytes);
    const d = await deploy("s3://models/iris/rf.joblib", options());
    try {
      assert.equal(s3.bodies.get("iris/rf.joblib"), 3);
      const { inputs, expected } = golden("decision_tree");
      assert.deepEqual(await predictBatch(d, inputs), expected);
    } finally {
      await d.close();
    }
  });

  it("never keeps or serves a truncated download", async () => {
    await s3.put("iris/cut.joblib", RF);
    s3.truncateNext = 1;
    await rejectsWith(deploy("s3://models/iris/cut.joblib", options()), "MS_STORAGE_UNREACHABLE");
    const leftovers = readdirSync(join(cacheDir, "tmp"));
    assert.deepEqual(leftovers, []);
    const cached = readdirSync(join(cacheDir, "objects")).filter((e) =>
      readFileSync(join(cacheDir, "objects", e, "entry.json"), "utf8").includes("cut.joblib"),
    );
    assert.deepEqual(cached, []);
    // With retries, the next attempt gets the whole file.
    s3.truncateNext = 1;
    const d = await deploy("s3://models/iris/cut.joblib", options({ downloadRetries: 2 }));
    try {
      const { inputs, expected } = golden("random_forest");
      assert.deepEqual(await predictBatch(d, inputs), expected);
    } finally {
      await d.close();
    }
  });

  it("checks a published .sha256 and refuses a download that does not match it", async () => {
    await s3.put("sums/rf.joblib", RF);
    await s3.put("sums/rf.joblib.sha256", `${"0".repeat(64)}  rf.joblib\n`);
    await rejectsWith(deploy("s3://models/sums/rf.joblib", options()), "MS_STORAGE_CHECKSUM_MISMATCH");
    await s3.put("sums/rf.joblib.sha256", `${createHash("sha256").update(RF).digest("hex")}  rf.joblib\n`);
    const d = await deploy("s3://models/sums/rf.joblib", options());
    await d.close();
  });

  it("names a missing object, a refused key and an object over the limit with stable codes", async () => {
    await rejectsWith(deploy("s3://models/nope/model.joblib", options()), "MS_STORAGE_NOT_FOUND");
    process.env.AWS_ACCESS_KEY_ID = "WRONGKEY";
    try {
      await rejectsWith(deploy("s3://models/iris/rf.joblib", options()), "MS_STORAGE_ACCESS_DENIED");
    } finally {
      process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    }
    await s3.put("big/model.joblib", new Uint8Array(2 * 1024 * 1024 + 1));
    await rejectsWith(
      deploy("s3://models/big/model.joblib", options({ downloadMaxMb: 2 })),
      "MS_STORAGE_TOO_LARGE",
    );
  });

  it("picks up new versions in a watched bucket under load with no failed request, and never half an upload", async () => {
    await s3.put("repo/lin/1/model.mjs", modelSource(1));
    const d = await deploy(
      [],
      options({
        repository: "s3://models/repo",
        watch: true,
        remoteWatchIntervalMs: 150,
        watchIntervalMs: 50,
      }),
    );
    try {
      const answers: number[] = [];
      let failed = 0;
      let stop = false;
      const load = async () => {
        while (!stop) {
          const res = await fetch(`${d.url}/models/lin/predict`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ x: 2 }),
          });
          if (res.status !== 200) failed++;
          else answers.push((JSON.parse(await res.text()) as { prediction: number }).prediction);
        }
      };
      const clients = Array.from({ length: 4 }, load);
      await new Promise((r) => setTimeout(r, 300));
      // An upload in progress (marker present) is never touched.
      await s3.put("repo/lin/3/.incomplete", "");
      await s3.put("repo/lin/3/model.mjs", modelSource(5));
      await s3.put("repo/lin/2/model.mjs", modelSource(3));
      const deadline = Date.now() + 20_000;
      while (answers.at(-1) !== 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      stop = true;
      await Promise.all(clients);
      assert.equal(failed, 0);
      assert.equal(answers.at(-1), 6, "version 2 took over");
      assert.ok(
        answers.every((a) => a === 2 || a === 6),
        "only versions 1 and 2 answered",
      );
      const models = JSON.parse((await get(d, "/models/lin")).text) as { versions: { version: string }[] };
      assert.deepEqual(
        models.versions.map((v) => v.version),
        ["1", "2"],
      );
      // Once the marker goes, the version is complete and served.
      await s3.remove("repo/lin/3/.incomplete");
      const until = Date.now() + 20_000;
      let latest = 0;
      while (latest !== 10 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`${d.url}/models/lin/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ x: 2 }),
        });
        latest = (JSON.parse(await res.text()) as { prediction: number }).prediction;
      }
      assert.equal(latest, 10);
    } finally {
      await d.close();
    }
  });

  it("writes no credential in any log line, answer or error", () => {
    assert.ok(logLines.length > 10);
    for (const text of [...logLines, ...bodies]) assert.ok(!text.includes(SECRET_KEY), text.slice(0, 200));
    assert.ok(statSync(cacheDir).isDirectory());
  });
});
