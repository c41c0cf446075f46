/**
 * @module A served process's log lines all reach its stdout, in order, when it stops on SIGTERM: request
 * lines are gathered before they are written (line-batcher.ts), and the exit waits for them.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IRIS_ROW } from "../helpers.ts";
import { tempDir } from "../lifecycle-helpers.ts";
import { ROOT } from "../server-process.ts";

describe("log lines at exit", () => {
  it("writes every request line and the shutdown line before the process exits on SIGTERM", {
    timeout: 60_000,
  }, async () => {
    const file = join(tempDir("serve-logs"), "stdout.jsonl");
    const fd = openSync(file, "w");
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "bin/modelserve.js"),
        "serve",
        join(ROOT, "examples/iris/heuristic.ts"),
        "--port",
        "0",
        "--log-format",
        "json",
      ],
      { stdio: ["ignore", fd, "pipe"] },
    );
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    const deadline = Date.now() + 20_000;
    let port: string | undefined;
    while (!port) {
      assert.ok(Date.now() < deadline, "no listening line");
      port = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(file, "utf8"))?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    const ids: string[] = [];
    for (let i = 0; i < 300; i += 30) {
      await Promise.all(
        Array.from({ length: 30 }, (_, k) => {
          const id = `req-${i + k}`;
          ids.push(id);
          return fetch(`http://127.0.0.1:${port}/predict`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-request-id": id },
            body: JSON.stringify(IRIS_ROW),
          }).then((r) => assert.equal(r.status, 200));
        }),
      );
    }
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; reqId?: string });
    const requests = lines
      .filter((l) => l.msg === "request" && l.reqId?.startsWith("req-"))
      .map((l) => l.reqId);
    assert.deepEqual([...requests].sort(), [...ids].sort());
    assert.equal(lines.at(-1)?.msg, "shutdown complete");
  });
});
