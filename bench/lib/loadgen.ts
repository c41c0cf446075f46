/**
 * @module Load generators written in C, for benches whose server is faster than a Node client can
 * drive it: `wrk` (HTTP/1.1, one thread) and nghttp2's `h2load` (HTTP/2, here for gRPC unary calls).
 * Both run pinned to CPU 0 when `taskset` can pin, and are installed with apt-get when missing (as
 * root; never during `npm test`).
 */

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

const canPin = availableParallelism() > 1 && spawnSync("taskset", ["--version"]).status === 0;
let scratchDir: string | undefined;
/**
 * The folder of this process's scripts, made on first use and removed at exit: made at import, it was
 * also made by every process that imports this module and never writes a script (the bare servers
 * `bench:scale` forks), which are stopped by a signal and so left it behind.
 */
function scratch(): string {
  if (scratchDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "modelserve-loadgen-"));
    scratchDir = dir;
    // Lua scripts for wrk live only as long as the bench.
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratchDir;
}

/** Installs the Debian package that provides `tool` when `tool` is not on PATH. */
export function ensureTool(tool: "wrk" | "h2load"): void {
  if (!spawnSync(tool, ["--version"]).error) return;
  const pkg = tool === "wrk" ? "wrk" : "nghttp2-client";
  process.stderr.write(`installing ${pkg} with apt-get…\n`);
  execFileSync("apt-get", ["install", "-y", "-qq", pkg], { stdio: "inherit" });
}

function run(tool: string, args: string[]): string {
  return execFileSync(canPin ? "taskset" : tool, canPin ? ["-c", "0", tool, ...args] : args, {
    encoding: "utf8",
    maxBuffer: 16 * 2 ** 20,
  });
}

/** One load run: requests per second, p50 and p99 in ms (NaN when not reported), failed requests. */
export interface LoadRun {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly requests: number;
}

let scripts = 0;

/**
 * The arguments of a `wrk` run (one thread) posting JSON to `path` on `connections` connections: `body`,
 * or each of several bodies in turn (distinct rows, as real traffic sends, rather than one row a tree
 * walk's branch predictor learns by heart).
 */
function wrkArgs(
  port: number,
  path: string,
  body: string | readonly string[],
  connections: number,
  seconds: number,
  headers: Readonly<Record<string, string>> = {},
): string[] {
  const script = join(scratch(), `post-${scripts++}.lua`);
  const head = [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  const turns = [
    "local bodies = {",
    ...(typeof body === "string" ? [] : body.map((b) => `[==[${b}]==],`)),
    "}",
    "local i = 0",
    "request = function()",
    "  i = i % #bodies + 1",
    "  return wrk.format(nil, nil, nil, bodies[i])",
    "end",
  ];
  writeFileSync(
    script,
    [...head, ...(typeof body === "string" ? [`wrk.body = [==[${body}]==]`] : turns), ""].join("\n"),
  );
  return [
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    "-s",
    script,
    `http://127.0.0.1:${port}${path}`,
  ];
}

/** What `wrk --latency` printed, as a {@link LoadRun}. */
function parseWrk(out: string): LoadRun {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  // A percentile of the latency distribution `--latency` prints, in ms.
  const percentile = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as "us" | "ms" | "s"] : Number.NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: percentile(50),
    p99: percentile(99),
    errors:
      num(/Non-2xx or 3xx responses: (\d+)/) +
      (socket ? socket.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
    requests: num(/(\d+) requests in/),
  };
}

/** A `wrk` run (one thread) posting `body` as JSON to `path` on `connections` keep-alive connections. */
export function wrk(port: number, path: string, body: string, connections: number, seconds: number): LoadRun {
  return parseWrk(run("wrk", wrkArgs(port, path, body, connections, seconds)));
}

/** A {@link wrk} run posting `bodies` in turn, with `headers` besides the JSON type. */
export function wrkMany(
  port: number,
  path: string,
  bodies: readonly string[],
  connections: number,
  seconds: number,
  headers: Readonly<Record<string, string>> = {},
): LoadRun {
  return parseWrk(run("wrk", wrkArgs(port, path, bodies, connections, seconds, headers)));
}

/** {@link wrk} without blocking, so that two loads can run at once (both pinned to CPU 0 when possible). */
export function wrkAsync(
  port: number,
  path: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<LoadRun> {
  const args = wrkArgs(port, path, body, connections, seconds);
  return new Promise((resolve, reject) =>
    execFile(
      canPin ? "taskset" : "wrk",
      canPin ? ["-c", "0", "wrk", ...args] : args,
      { encoding: "utf8", maxBuffer: 16 * 2 ** 20 },
      (err, out) => (err ? reject(err) : resolve(parseWrk(out))),
    ),
  );
}

/**
 * An `h2load` run of gRPC unary calls: `message` (a serialized request message) framed once as gRPC
 * does (1 flag byte, 4-byte big-endian length), posted to `/<service>/<method>` with `streams`
 * concurrent calls on each of `connections` connections. h2load sees HTTP statuses only: a gRPC error
 * travels in trailers under HTTP 200, so the caller checks the server's own success count as well.
 */
export function h2loadGrpc(
  port: number,
  method: string,
  message: Uint8Array,
  connections: number,
  streams: number,
  seconds: number,
): LoadRun {
  const file = join(scratch(), `grpc-${scripts++}.bin`);
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  writeFileSync(file, frame);
  const out = run("h2load", [
    "-D",
    String(seconds),
    "-c",
    String(connections),
    "-m",
    String(streams),
    "-d",
    file,
    "-H",
    "content-type: application/grpc",
    "-H",
    "te: trailers",
    `http://127.0.0.1:${port}${method}`,
  ]);
  const m =
    /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const took = Number(/finished in ([\d.]+)s/.exec(out)?.[1] ?? seconds);
  const succeeded = m ? Number(m[3]) : 0;
  return {
    rps: succeeded / took,
    p50: Number.NaN,
    p99: Number.NaN,
    errors: m ? Number(m[4]) + Number(m[5]) + Number(m[6]) : 0,
    requests: succeeded,
  };
}
