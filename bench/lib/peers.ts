/**
 * @module Shared by the HTTP benches: the Python peers (installed with apt when missing, never during
 * `npm test`), the models they and modelserve serve (trained by `scripts/bench/train_http_models.py`
 * with Debian's scikit-learn and XGBoost), a process tree's resident memory, and median [min–max].
 */

import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Installs the Python peers (scikit-learn, XGBoost, FastAPI/uvicorn, Flask/gunicorn) with apt when missing. */
export function ensurePeers(): void {
  const ok = () =>
    spawnSync("/usr/bin/python3", ["-c", "import sklearn, xgboost, fastapi, uvicorn, flask"]).status === 0 &&
    spawnSync("gunicorn", ["--version"]).status === 0;
  if (ok()) return;
  process.stderr.write("installing the Python peers with apt-get…\n");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync(
    "apt-get",
    [
      "install",
      "-y",
      "-qq",
      "python3-sklearn",
      "python3-xgboost",
      "python3-fastapi",
      "python3-uvicorn",
      "python3-flask",
      "gunicorn",
    ],
    { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } },
  );
  if (!ok()) throw new Error("the Python peers are still missing after apt-get install");
}

/**
 * Trains the benchmark models into a new temporary folder and returns it: `iris_rf100.joblib`,
 * `bc_rf300.joblib`, `iris_xgb.json` (+ `.joblib`), and request bodies `iris_one.json`,
 * `iris_batch1000.json`, `bc_one.json`, `bc_batch1000.json`.
 */
export function trainModels(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  execFileSync("/usr/bin/python3", [join(ROOT, "scripts/bench/train_http_models.py"), dir], {
    stdio: "ignore",
  });
  return dir;
}

/** Resident memory of a process and all its descendants, from /proc, in MB. */
export function rssMb(pid: number): number {
  const tree = (p: number): number[] => {
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      return [p, ...children.flatMap(tree)];
    } catch {
      return [p];
    }
  };
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return kb / 1024;
}

/** The median of samples. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `median [min–max]` of samples. */
export function spread(xs: readonly number[], digits = 0): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(s).toFixed(digits)} [${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)}]`;
}

/** The constant single-row answer of the bare servers, shaped like modelserve's. */
const ONE = JSON.stringify({
  model: "m",
  version: "1",
  prediction: 0,
  probabilities: { "0": 1, "1": 0, "2": 0 },
});

/**
 * The bare `node:http` handler the benches compare against: parses the JSON body and answers a
 * constant reply of modelserve's shape (one per row for `{"instances": [...]}`).
 */
export function bareHandler(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => {
    body += c;
  });
  req.on("end", () => {
    const parsed = body ? (JSON.parse(body) as { instances?: unknown[] }) : {};
    const out = parsed.instances
      ? JSON.stringify({
          predictions: parsed.instances.map(() => 0),
          probabilities: parsed.instances.map(() => ({ "0": 1, "1": 0, "2": 0 })),
        })
      : ONE;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
    res.end(out);
  });
}

/** Clock ticks per second of /proc's CPU times. */
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (in clock ticks, usually 10 ms):
 * unlike wall time, not inflated by other processes taking the CPU. NaN once the process is gone.
 */
export function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command name, which may itself hold ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** A process's CPU time in the kernel (system time), ms, from /proc (NaN when it is gone). */
export function systemCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[12]) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** How {@link untilReady} knows a server is ready. */
export interface ReadyCheck {
  /** Named in errors. */
  readonly name: string;
  /** The URL polled (a health route). */
  readonly url: string;
  readonly timeoutMs: number;
  /** The child's stderr so far, for errors. */
  readonly stderr: () => string;
  /** Any answer means ready (a server without a health route). */
  readonly anyAnswer?: boolean;
  /** A further condition (e.g. a banner on stderr). */
  readonly also?: () => boolean;
}

/** Whether something accepts TCP connections on `host:port` (answered within a second). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (yes: boolean) => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Polls `check.url` every 10 ms until it answers 200 (any answer with `anyAnswer`) and `also()` holds;
 * throws with the child's stderr when the child exits first or the time runs out.
 */
export async function untilReady(child: ChildProcess, check: ReadyCheck): Promise<void> {
  // Called right after the spawn, before any server could have started: a port that already accepts
  // connections belongs to another process (a leftover server), whose answers would pass for this one's.
  const { hostname, port } = new URL(check.url);
  if (await accepts(hostname, Number(port))) {
    child.kill("SIGKILL");
    throw new Error(`${check.name}: port ${port} is already in use by another process`);
  }
  const deadline = Date.now() + check.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${check.name} exited: ${check.stderr()}`);
    const res = await fetch(check.url).catch(() => undefined);
    if ((res?.status === 200 || (check.anyAnswer === true && res)) && (check.also?.() ?? true)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${check.name} not ready: ${check.stderr()}`);
}
