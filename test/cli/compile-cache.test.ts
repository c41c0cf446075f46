import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../bin/modelserve.js", import.meta.url));

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Runs `modelserve --version` with TMPDIR set to a fresh directory; returns that directory. */
async function versionIn(extraEnv: Record<string, string>): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), "modelserve-cc-"));
  made.push(tmp);
  const env: Record<string, string | undefined> = { ...process.env, TMPDIR: tmp, ...extraEnv };
  delete env.NODE_COMPILE_CACHE; // the test runner's own cache would be used instead
  const { stdout } = await run(process.execPath, [bin, "--version"], { env });
  assert.match(stdout, /^\d+\.\d+\.\d+/);
  return tmp;
}

it("keeps compiled code between starts in the temporary directory", async () => {
  const tmp = await versionIn({});
  const cache = join(tmp, "node-compile-cache");
  assert.ok(existsSync(cache), "no compile cache written");
  // One directory per Node version and V8 flags, holding the compiled modules.
  const entries = readdirSync(cache, { recursive: true });
  assert.ok(entries.length > 1, `compile cache is empty: ${entries.join(", ")}`);
});

it("writes no compile cache with NODE_DISABLE_COMPILE_CACHE=1", async () => {
  const tmp = await versionIn({ NODE_DISABLE_COMPILE_CACHE: "1" });
  assert.equal(existsSync(join(tmp, "node-compile-cache")), false);
});
