/**
 * @module `npm run bench:storage`: time from `modelserve serve s3://…` to `/health/ready` for a large
 * model (default 100 MB: a synthetic XGBoost JSON forest of deep trees) from a real S3-compatible
 * server (s3rver) on loopback, from a cold cache (download, hash, load) and a warm one (re-hash,
 * conditional request, load), in BENCH_ROUNDS alternating rounds (default 3), median [min–max].
 * Also the same model from a local file, which is the floor. Loopback only, bounded.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

const targetMb = Number(process.env.BENCH_STORAGE_MB ?? 100);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "modelserve-bench-storage-"));

/** A complete binary tree of `depth` levels over 4 features, as XGBoost writes it. */
function tree(id: number, depth: number, seed: number): Record<string, unknown> {
  const n = 2 ** (depth + 1) - 1;
  const inner = 2 ** depth - 1;
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const left = [],
    right = [],
    parents = [],
    splitIdx = [],
    cond = [],
    dl = [],
    bw = [],
    loss = [],
    hess = [],
    st = [];
  for (let i = 0; i < n; i++) {
    const leaf = i >= inner;
    left.push(leaf ? -1 : 2 * i + 1);
    right.push(leaf ? -1 : 2 * i + 2);
    parents.push(i === 0 ? 2147483647 : Math.floor((i - 1) / 2));
    splitIdx.push(leaf ? 0 : Math.floor(rnd() * 4));
    cond.push(Math.fround(leaf ? (rnd() - 0.5) * 0.2 : rnd() * 7));
    dl.push(rnd() < 0.5 ? 1 : 0);
    bw.push(Math.fround((rnd() - 0.5) * 0.2));
    loss.push(leaf ? 0 : Math.fround(rnd() * 10));
    hess.push(Math.fround(1 + rnd() * 50));
    st.push(0);
  }
  return {
    base_weights: bw,
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: dl,
    id,
    left_children: left,
    loss_changes: loss,
    parents,
    right_children: right,
    split_conditions: cond,
    split_indices: splitIdx,
    split_type: st,
    sum_hessian: hess,
    tree_param: { num_deleted: "0", num_feature: "4", num_nodes: String(n), size_leaf_vector: "0" },
  };
}

/** A multi:softprob iris-shaped model of about `mb` megabytes. */
function bigModel(mb: number): string {
  const perTree = JSON.stringify(tree(0, 13, 1)).length;
  const count = Math.max(3, Math.round((mb * 1024 * 1024) / perTree / 3) * 3);
  const trees = Array.from({ length: count }, (_, i) => tree(i, 13, i + 1));
  return JSON.stringify({
    learner: {
      attributes: {},
      feature_names: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
      feature_types: ["float", "float", "float", "float"],
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: "1", num_trees: String(count), size_leaf_vector: "0" },
          tree_info: trees.map((_, i) => i % 3),
          trees,
        },
        name: "gbtree",
      },
      learner_model_param: {
        base_score: "5E-1",
        boost_from_average: "1",
        num_class: "3",
        num_feature: "4",
        num_target: "1",
      },
      name: "generic",
      objective: { name: "multi:softprob", softmax_multiclass_param: { num_class: "3" } },
    },
    version: [1, 7, 4],
  });
}

async function timeToReady(args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "serve", ...args, "--port", "0", "--log-level", "warn"],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
  });
  try {
    const deadline = Date.now() + 300_000;
    let port: string | undefined;
    while (Date.now() < deadline) {
      port ??= /http:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1];
      if (child.exitCode !== null) throw new Error(`modelserve exited: ${err}`);
      if (port) {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        if (res?.status === 200) return performance.now() - started;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("not ready within 300 s");
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: join(dir, "s3") });
const { port } = (await server.run()) as { port: number };
try {
  const body = bigModel(targetMb);
  const local = join(dir, "big.json");
  writeFileSync(local, body);
  const creds = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: "models" }));
  await client.send(new PutObjectCommand({ Bucket: "models", Key: "big/model.json", Body: body }));
  client.destroy();
  const env = {
    ...creds,
    MODELSERVE_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    MODELSERVE_S3_REGION: "us-east-1",
    MODELSERVE_S3_FORCE_PATH_STYLE: "true",
  };
  const times: Record<"local" | "cold" | "warm", number[]> = { local: [], cold: [], warm: [] };
  for (let r = 0; r < rounds; r++) {
    const cache = join(dir, `cache-${r}`);
    times.local.push(await timeToReady([local], {}));
    times.cold.push(
      await timeToReady(["s3://models/big/model.json"], { ...env, MODELSERVE_CACHE_DIR: cache }),
    );
    times.warm.push(
      await timeToReady(["s3://models/big/model.json"], { ...env, MODELSERVE_CACHE_DIR: cache }),
    );
  }
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${(s[Math.floor(s.length / 2)] / 1000).toFixed(2)} s [${(s[0] / 1000).toFixed(2)}–${(s.at(-1)! / 1000).toFixed(2)}]`;
  };
  const load = (await import("node:os")).loadavg()[0].toFixed(2);
  process.stdout.write(
    [
      `model: ${(statSync(local).size / 1024 / 1024).toFixed(1)} MB XGBoost JSON, s3rver on loopback, ${rounds} alternating rounds, load average ${load}`,
      `spawn → ready, local file:  ${fmt(times.local)}`,
      `spawn → ready, cold cache:  ${fmt(times.cold)}`,
      `spawn → ready, warm cache:  ${fmt(times.warm)}`,
      "",
    ].join("\n"),
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
