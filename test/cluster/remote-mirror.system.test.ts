/**
 * Two workers serving one remote repository share its local mirror (synced one worker at a time):
 * each version is copied into the mirror once for the whole cluster, and a new version in the bucket
 * reaches both workers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { modelSource, tempDir } from "../lifecycle-helpers.ts";
import { type ServerProcess, startServer } from "../server-process.ts";
import { ACCESS_KEY, type S3Fixture, SECRET_KEY, startS3 } from "../storage/servers.ts";

let s3: S3Fixture;
let server: ServerProcess | undefined;
before(async () => {
  s3 = await startS3();
});
after(async () => {
  server?.child.kill("SIGKILL");
  await s3.close();
});

const predict = async (url: string): Promise<{ version: string; prediction: number }> => {
  const res = await fetch(`${url}/models/lin/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close" },
    body: JSON.stringify({ x: 2 }),
  });
  return (await res.json()) as { version: string; prediction: number };
};

describe("serve --workers 2 --repository s3://…", { timeout: 90_000 }, () => {
  it("copies each version once for both workers and serves a new version from both", async () => {
    await s3.put("repo/lin/1/model.mjs", modelSource(1));
    server = await startServer(
      [
        "--repository",
        "s3://models/repo",
        "--workers",
        "2",
        "--watch",
        "--watch-interval",
        "50",
        "--remote-watch-interval",
        "150",
        "--s3-endpoint",
        s3.endpoint,
        "--s3-region",
        "us-east-1",
        "--s3-force-path-style",
        "--cache-dir",
        tempDir("workers-cache"),
        "--log-level",
        "warn",
      ],
      { env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }, timeoutMs: 40_000 },
    );
    assert.deepEqual(await predict(server.url), { model: "lin", version: "1", prediction: 2 });
    await s3.put("repo/lin/2/model.mjs", modelSource(3));
    const deadline = Date.now() + 30_000;
    while ((await predict(server.url)).version !== "2") {
      assert.ok(Date.now() < deadline, "version 2 was never served");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Both workers answer with version 2 from now on (new connections reach either).
    for (let i = 0; i < 20; i++)
      assert.deepEqual(await predict(server.url), { model: "lin", version: "2", prediction: 6 });
    // One copy of each version into the shared mirror for the whole cluster (the workers' counters,
    // summed by the primary): the second worker finds the first one's copy current.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const downloaded = /^modelserve_storage_fetches_total\{outcome="downloaded"\} (\d+)$/m.exec(metrics);
    assert.equal(
      Number(downloaded?.[1]),
      2,
      metrics
        .split("\n")
        .filter((l) => l.includes("storage"))
        .join("\n"),
    );
    // And the bucket served each object's body once. A GET whose body reached the client's socket but
    // failed there is retried and served again: the counter above is what tells a second copy apart.
    for (const key of ["repo/lin/1/model.mjs", "repo/lin/2/model.mjs"])
      assert.ok((s3.bodies.get(key) ?? 0) >= 1, `${key} was fetched`);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
  });
});
