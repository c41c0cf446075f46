/**
 * @module Chaos: a server whose stdout/stderr pipe is closed (`serve … 2>&1 | head -5`) or never read
 * (a stuck log shipper) keeps serving and still exits within its shutdown deadline on SIGTERM.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IRIS_ROW } from "../helpers.ts";
import { ROOT } from "../server-process.ts";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Children of `ppid`, by pid and command line. */
const children = (ppid: number): { pid: number; cmd: string }[] => {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(ppid)], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => ({ pid: Number(l.split(/\s+/)[0]), cmd: l }));
};

async function pipeline(tail: string, shutdownTimeoutMs: number) {
  const port = await freePort();
  const cmd = [
    process.execPath,
    join(ROOT, "bin/modelserve.js"),
    "serve",
    join(ROOT, "examples/iris/heuristic.ts"),
    "--port",
    String(port),
    "--log-level",
    "info",
    "--shutdown-timeout",
    String(shutdownTimeoutMs),
  ]
    .map((a) => `'${a}'`)
    .join(" ");
  const shell = spawn("bash", ["-c", `${cmd} 2>&1 | ${tail}`], { stdio: ["ignore", "pipe", "pipe"] });
  shell.stdout.resume();
  shell.stderr.resume();
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    assert.ok(Date.now() - started < 20_000, "server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const node = children(shell.pid!).find((c) => c.cmd.includes("modelserve.js"));
  assert.ok(node, "found the server process");
  const others = children(shell.pid!).filter((c) => c.pid !== node.pid);
  return { url, pid: node.pid, others, shell };
}

/** Sends `n` predictions (each writes a log line) and asserts they are all answered. */
async function predictions(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const statuses = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () =>
        fetch(`${url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(IRIS_ROW),
        }).then((r) => r.status),
      ),
    );
    assert.ok(
      statuses.every((s) => s === 200),
      String(statuses),
    );
  }
}

async function exitTime(pid: number, limitMs: number): Promise<number> {
  const t0 = Date.now();
  process.kill(pid, "SIGTERM");
  while (alive(pid) && Date.now() - t0 < limitMs) await new Promise((r) => setTimeout(r, 20));
  return Date.now() - t0;
}

describe("chaos: closed or stuck output pipes", () => {
  it("keeps serving after `| head -5` closed the pipe, and exits promptly on SIGTERM", {
    timeout: 60_000,
  }, async () => {
    const { url, pid } = await pipeline("head -5", 3000);
    // The reader is gone after 5 lines: every later log line hits EPIPE.
    await predictions(url, 500);
    assert.ok(alive(pid), "EPIPE did not crash the server");
    const ms = await exitTime(pid, 15_000);
    assert.ok(!alive(pid), `still alive ${ms} ms after SIGTERM`);
    assert.ok(ms < 3000, `exit took ${ms} ms`);
  });

  it("exits within the shutdown deadline when nobody reads the pipe", { timeout: 60_000 }, async () => {
    const { url, pid, others } = await pipeline("sleep 120", 2000);
    try {
      // Far more than a pipe buffer (64 KiB) of log lines, none of them read.
      await predictions(url, 1500);
      const ms = await exitTime(pid, 20_000);
      assert.ok(!alive(pid), `still alive ${ms} ms after SIGTERM`);
      // Shutdown timeout (2 s) plus the watchdog's margin, plus scheduling slack.
      assert.ok(ms < 2000 + 2000 + 1500, `exit took ${ms} ms`);
    } finally {
      if (alive(pid)) process.kill(pid, "SIGKILL");
      for (const o of others) if (alive(o.pid)) process.kill(o.pid, "SIGKILL");
    }
  });
});
