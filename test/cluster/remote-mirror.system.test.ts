/**
 * Two workers serving one remote repository share its local mirror (synced one worker at a time):
 * each object is fetched from the bucket once, and a new version in the bucket reaches both workers.
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
  it("fetches each object once for both workers and serves a new version from both", async () => {
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
    assert.equal(s3.bodies.get("repo/lin/1/model.mjs"), 1);
    assert.equal(s3.bodies.get("repo/lin/2/model.mjs"), 1);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
  });
});
