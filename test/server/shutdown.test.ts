import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const slow = join(root, "test/fixtures/typescript/slow.ts");

describe("graceful shutdown", () => {
  it("finishes every accepted request after SIGTERM and exits 0", { timeout: 30_000 }, async () => {
    const child = spawn(
      process.execPath,
      // A short drain delay: connections still in the accept queue at SIGTERM (a loaded machine may
      // not have accepted all 20 within 100 ms) are accepted before the listener closes.
      [
        join(root, "bin/modelserve.js"),
        "serve",
        slow,
        "--port",
        "0",
        "--log-level",
        "warn",
        "--drain-delay",
        "300",
      ],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d;
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on("exit", () => reject(new Error(`server exited early: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // 20 requests in flight (each takes 300 ms), then SIGTERM while they run.
    const inflight = Array.from({ length: 20 }, (_, i) =>
      fetch(`${url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ x: i }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { prediction: number } })),
    );
    await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    const results = await Promise.all(inflight);
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 200);
      assert.equal(r.body.prediction, i * 2);
    }
    assert.equal(await exited, 0, stderr);
    await assert.rejects(fetch(`${url}/health/live`), "no longer listening");
  });
});
