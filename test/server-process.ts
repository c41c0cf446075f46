/** @module Test helper: a `modelserve serve` child process on a free port, with its output collected. */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process ends. */
  readonly exited: Promise<number | string | null>;
}

/**
 * Starts `modelserve serve <args>` on port 0 and resolves once it listens. `shell` runs the command
 * through `bash -c` with the command line substituted for `$CMD` (for pipes such as `$CMD 2>&1 | head -5`).
 */
export async function startServer(
  args: readonly string[],
  options: { env?: Record<string, string>; shell?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const argv = [join(ROOT, "bin/modelserve.js"), "serve", ...args, "--port", "0"];
  const env = { ...process.env, ...options.env };
  const child = options.shell
    ? spawn(
        "bash",
        [
          "-c",
          options.shell.replace("$CMD", `exec ${[process.execPath, ...argv].map((a) => `'${a}'`).join(" ")}`),
        ],
        {
          cwd: ROOT,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      )
    : spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d;
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d;
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${err}${out}`)),
      options.timeoutMs ?? 20_000,
    );
    const check = () => {
      const m = /listening on (https?:\/\/\S+)/.exec(err + out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited early: ${err}${out}`));
    });
  });
  return { child, url, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}
