/**
 * `modelserve serve` holds the tick shape before it reads a model (src/util/tick-shape.ts): with a full
 * collection after every request (a preload forces them), `process.nextTick`'s inline caches are still
 * monomorphic when the process exits. Without the hold the same run leaves the tick literal's
 * definitions megamorphic (test/util/tick-shape.test.ts shows that mechanism in isolation).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../lifecycle-helpers.ts";
import { ROOT } from "../server-process.ts";

const MODEL = join(ROOT, "test/fixtures/sklearn/1.9.1/trees-rf100-iris/model.joblib");
const PRELOAD = join(ROOT, "test/cli/serve-tick-shape-preload.mjs");

describe("serve holds the tick shape", () => {
  it("keeps nextTick's caches monomorphic through a full collection per request", {
    timeout: 60_000,
  }, async () => {
    // A file, not a pipe: V8 prints through C's stdout, which a pipe would leave unflushed at exit.
    const file = join(tempDir("tick-shape"), "stdout.txt");
    const fd = openSync(file, "w");
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        "--allow-natives-syntax",
        "--import",
        PRELOAD,
        join(ROOT, "bin/modelserve.js"),
        "serve",
        MODEL,
        "--port",
        "0",
        "--log-level",
        "warn",
      ],
      { cwd: ROOT, stdio: ["ignore", fd, fd] },
    );
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (!url) {
      const out = readFileSync(file, "utf8");
      assert.ok(Date.now() < deadline, `no listening line: ${out}`);
      url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: [5.1, 3.5, 1.4 + i / 10, 0.2] }),
      });
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const out = readFileSync(file, "utf8");
    const view = out.slice(out.indexOf("\nNEXTTICK\n"));
    assert.ok(view.includes("DefineKeyedOwnPropertyInLiteral"), "V8 printed nextTick's caches");
    const megamorphic = view
      .split("\n")
      .filter((l) => l.includes("DefineKeyedOwnPropertyInLiteral") && l.includes("MEGAMORPHIC"));
    assert.deepEqual(megamorphic, []);
  });
});
