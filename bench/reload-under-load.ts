/**
 * @module `npm run bench:reload`: zero-downtime reloads under load. A watched repository gets
 * BENCH_RELOAD_VERSIONS new versions (default 50, one of them broken) while autocannon sends single-row
 * requests for BENCH_RELOAD_SECONDS (default 60). Reports failed requests (the bar is zero), which
 * versions answered, and whether the broken one ever did. Loopback only, bounded.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const seconds = Number(process.env.BENCH_RELOAD_SECONDS ?? 60);
const versions = Number(process.env.BENCH_RELOAD_VERSIONS ?? 50);
const broken = Math.ceil(versions / 2);
const repo = mkdtempSync(join(tmpdir(), "modelserve-reload-"));
const bin = fileURLToPath(new URL("../bin/modelserve.js", import.meta.url));

/** A model module with no imports whose answer names its version: y = version · x. */
const source = (v: number) =>
  v === broken
    ? "export default (;\n"
    : `export default { kind: "modelserve.model-definition", name: "lin", version: "${v}", inputs: { x: "float" },
  inputSpecs: [{ name: "x", dtype: "float", nullable: false }], predict: (rows) => rows.map((r) => ${v} * r.x) };\n`;

function addVersion(v: number): void {
  const staging = join(repo, "lin", `.${v}.partial`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, "model.mjs"), source(v));
  renameSync(staging, join(repo, "lin", String(v)));
}

addVersion(1);
const child: ChildProcess = spawn(
  process.execPath,
  [
    bin,
    "serve",
    "--repository",
    repo,
    "--watch",
    "--watch-interval",
    "100",
    "--port",
    "0",
    "--log-level",
    "warn",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let stderr = "";
const url = await new Promise<string>((resolve, reject) => {
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d;
    const m = /listening on (http:\/\/\S+)/.exec(stderr);
    if (m) resolve(m[1]);
  });
  child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
});

const answered = new Map<string, number>();
let wrong = 0;
const dropper = (async () => {
  const every = (seconds * 1000 * 0.9) / versions;
  for (let v = 2; v <= versions + 1; v++) {
    await new Promise((r) => setTimeout(r, every));
    addVersion(v);
  }
})();
const result = await autocannon({
  url: `${url}/predict`,
  connections: 20,
  duration: seconds,
  requests: [
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ x: 2 }),
      onResponse: (status: number, body: string) => {
        if (status !== 200) return;
        const { version, prediction } = JSON.parse(body) as { version: string; prediction: number };
        answered.set(version, (answered.get(version) ?? 0) + 1);
        if (prediction !== Number(version) * 2) wrong++;
      },
    },
  ],
});
await dropper;
child.kill("SIGTERM");
rmSync(repo, { recursive: true, force: true });

const failed = result.errors + result.non2xx + result.timeouts;
process.stdout.write(
  [
    `${seconds} s of single-row requests, ${versions} versions dropped in (version ${broken} broken)`,
    `requests: ${result.requests.total}, failed: ${failed} (errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts})`,
    `answers computed by the wrong model: ${wrong}`,
    `versions that answered: ${answered.size}; broken version answered: ${answered.has(String(broken)) ? "YES" : "no"}`,
    `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    "",
  ].join("\n"),
);
if (failed > 0 || wrong > 0 || answered.has(String(broken))) process.exitCode = 1;
