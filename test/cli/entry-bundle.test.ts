/**
 * The command starts from the bundle of the CLI and the library (`dist/entry-bundle/`, written by
 * `npm run build`), unless the bundle is older than `dist/cli/main.js`; a TypeScript model importing
 * `modelserve` gets the modules the server runs, so its ModelServeErrors keep their codes.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const scratch = mkdtempSync(join(tmpdir(), "modelserve-entry-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Records, at exit, every module URL of dist/ that the process loaded (synchronous module hooks).
const hooks = join(scratch, "record.mjs");
writeFileSync(
  hooks,
  `import { registerHooks } from "node:module";
const seen = new Set();
registerHooks({ load(url, context, next) { if (url.includes("/dist/")) seen.add(url); return next(url, context); } });
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify([...seen]) + "\\n"));
`,
);

async function loadedBy(args: string[]): Promise<string[]> {
  const { stderr } = await run(process.execPath, ["--import", hooks, bin, ...args]);
  const line = stderr.split("\n").find((l) => l.startsWith("LOADED "));
  assert.ok(line, stderr);
  return (JSON.parse(line.slice(7)) as string[]).map((u) => u.slice(u.indexOf("/dist/")));
}

it("starts from the bundle when it is as new as the modules, else from the modules", async () => {
  const bundled = await loadedBy(["--version"]);
  assert.ok(bundled.includes("/dist/entry-bundle/main.js"), bundled.join(" "));
  assert.ok(!bundled.includes("/dist/cli/main.js"));
  assert.ok(bundled.length < 40, `${bundled.length} files of dist/ loaded`);
  // As after a `tsc` alone: the modules newer than the bundle.
  const main = join(root, "dist/cli/main.js");
  const { atime, mtime } = statSync(main);
  try {
    utimesSync(main, atime, new Date(Date.now() + 60_000));
    const unbundled = await loadedBy(["--version"]);
    assert.ok(unbundled.includes("/dist/cli/main.js"), unbundled.join(" "));
    assert.ok(!unbundled.some((u) => u.startsWith("/dist/entry-bundle/")));
  } finally {
    utimesSync(main, atime, mtime);
  }
});

it("maps stack frames of the bundle back to the sources with --enable-source-maps", async () => {
  const code = `const m = await import(${JSON.stringify(join(root, "dist/entry-bundle/index.js"))});
try { await m.deploy("/nonexistent/model.joblib", { port: 0 }); } catch (e) { console.log(e.code + "\\n" + e.stack); }`;
  const stackOf = async (flags: string[]) =>
    (await run(process.execPath, [...flags, "--input-type=module", "-e", code])).stdout;
  const mapped = await stackOf(["--enable-source-maps"]);
  assert.match(mapped, /^MS_MODEL_FILE_NOT_FOUND\n/);
  assert.match(mapped, /at resolveModelFile \(\S*\/src\/runtimes\/load-model\.ts:\d+:\d+\)/);
  assert.match(mapped, /\/src\/deploy\.ts:\d+:\d+/);
  assert.doesNotMatch(mapped, /entry-bundle/);
  // Without the flag Node reads no map: the frames are the bundle's.
  assert.match(await stackOf([]), /dist\/entry-bundle\/chunk-\w+\.js:\d+:\d+/);
});

it("serves a TypeScript model that throws modelserve's errors with their codes", async () => {
  const model = join(root, "test/fixtures/typescript/throws.ts");
  const port = 19_000 + Math.floor(Math.random() * 500);
  const child = spawn(
    process.execPath,
    [bin, "serve", model, "--port", String(port), "--log-level", "warn"],
    {
      stdio: "ignore",
    },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      const ready = await fetch(`${url}/health/ready`).catch(() => undefined);
      if (ready?.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ask = async (x: number) => {
      const res = await fetch(`${url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ x }),
      });
      return [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
    };
    assert.deepEqual(await ask(-1), [400, "MS_INVALID_INPUT"]);
    assert.deepEqual(await ask(1000), [429, "MS_RATE_LIMITED"]);
    assert.deepEqual(await ask(5), [200, undefined]);
  } finally {
    child.kill("SIGKILL");
  }
});
