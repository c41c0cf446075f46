/**
 * @module Test helpers for Dockerfiles without a Docker daemon: a line parser, and a run of an image's
 * ENTRYPOINT + CMD on this machine against a temporary root that holds what the image's COPY lines and
 * volume mounts would put there, with the image's ENV, its HEALTHCHECK command and its STOPSIGNAL.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../temp-dir.ts";

/** The repository root (what the image holds at /app). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/modelserve.js");

/** One instruction: its keyword and the rest of its (continued) line. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Parses a Dockerfile: comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    if (!m) throw new Error(`not an instruction: ${full}`);
    out.push({ keyword: m[1].toUpperCase(), args: m[2] });
  }
  if (pending) throw new Error("the Dockerfile ends inside a continued line");
  return out;
}

/** The instructions of the last build stage (from its FROM on). */
export function finalStage(instructions: readonly Instruction[]): Instruction[] {
  const from = instructions.map((i) => i.keyword).lastIndexOf("FROM");
  return instructions.slice(from);
}

/** An exec-form argument (`["a", "b"]`), which must be a JSON array of strings. */
export function execForm(args: string): string[] {
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new Error(`not exec form: ${args}`);
  return v as string[];
}

/** `ENV K=V K2=V2` lines of a stage as one map (no quoting in these files). */
export function envOf(stage: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.filter((x) => x.keyword === "ENV")) {
    for (const pair of i.args.split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`ENV without key=value: ${i.args}`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** A HEALTHCHECK's options and its exec-form command. */
export function healthcheckOf(stage: readonly Instruction[]): { options: string[]; cmd: string[] } {
  const hc = stage.find((i) => i.keyword === "HEALTHCHECK");
  if (!hc) throw new Error("no HEALTHCHECK");
  const at = hc.args.indexOf("CMD ");
  return { options: hc.args.slice(0, at).trim().split(/\s+/), cmd: execForm(hc.args.slice(at + 4).trim()) };
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** The exit code of a command. */
export function exitCode(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: "ignore" });
    p.once("exit", (code) => resolve(code ?? -1));
  });
}

/** A running "container": the process, its port, and the image's health check and stop signal. */
export interface Container {
  readonly port: number;
  readonly root: string;
  readonly child: ChildProcess;
  readonly env: NodeJS.ProcessEnv;
  /** What the server wrote on stderr so far. */
  stderr(): string;
  /** Runs the HEALTHCHECK command as Docker would and returns its exit code. */
  healthcheck(): Promise<number>;
  /** Sends the STOPSIGNAL and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** What `docker run` (or a compose service) adds to an image. */
export interface RunOptions {
  /** Files or folders to put at image paths, as `-v host:path` does. */
  readonly mounts?: Readonly<Record<string, string>>;
  /** Replaces the image's CMD. */
  readonly cmd?: readonly string[];
  /** Environment on top of the image's ENV. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs an image's ENTRYPOINT + CMD as Docker would, here: the COPY lines of the final stage that take
 * files from the build context (and `mounts`, as with `docker run -v`) fill a temporary root; image
 * paths under it in the command line and the environment point there; the image's ENV applies, with MODELSERVE_PORT set
 * to a free port (as `docker run -e` would); `modelserve` is this repository's bin. The base image's
 * `/node_modules/modelserve` link (see the repository Dockerfile) is made in the root too.
 */
export async function runImage(
  dockerfile: string,
  context: string,
  options: RunOptions = {},
): Promise<Container> {
  const mounts = options.mounts ?? {};
  const stage = finalStage(parseDockerfile(dockerfile));
  const root = tempDir("image");
  for (const i of stage.filter((x) => x.keyword === "COPY" && !x.args.includes("--from="))) {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    const dest = parts.at(-1)!;
    if (!dest.startsWith("/")) continue; // relative to WORKDIR (/app): this repository itself
    for (const src of parts.slice(0, -1)) cpSync(join(context, src), join(root, dest), { recursive: true });
  }
  for (const [at, src] of Object.entries(mounts)) {
    mkdirSync(dirname(join(root, at)), { recursive: true });
    cpSync(src, join(root, at), { recursive: true });
  }
  mkdirSync(join(root, "node_modules"), { recursive: true });
  symlinkSync(ROOT, join(root, "node_modules/modelserve"), "dir");
  const port = await freePort();
  // Image paths that the COPY lines and mounts filled point into the root, in arguments and variables.
  const inRoot = (a: string) =>
    a.startsWith("/") && existsSync(join(root, a.split("/")[1])) && a.split("/")[1] !== "node_modules"
      ? join(root, a)
      : a;
  const imageEnv = Object.entries({ ...envOf(stage), ...options.env }).map(([k, v]) => [k, inRoot(v)]);
  const env = { ...process.env, ...Object.fromEntries(imageEnv), MODELSERVE_PORT: String(port) };
  const entrypoint = execForm(stage.find((i) => i.keyword === "ENTRYPOINT")!.args);
  const cmd = options.cmd ?? execForm(stage.find((i) => i.keyword === "CMD")!.args);
  const argv = [...entrypoint, ...cmd].map(inRoot);
  if (argv[0] !== "modelserve") throw new Error(`the entrypoint is ${argv[0]}, not modelserve`);
  const child = spawn(process.execPath, [BIN, ...argv.slice(1)], {
    env,
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d;
  });
  const hc = healthcheckOf(stage);
  const signal = (stage.find((i) => i.keyword === "STOPSIGNAL")?.args ?? "SIGTERM") as NodeJS.Signals;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    port,
    root,
    child,
    env,
    stderr: () => stderr,
    healthcheck: () => exitCode(hc.cmd[0] === "node" ? process.execPath : hc.cmd[0], hc.cmd.slice(1), env),
    async stop() {
      child.kill(signal);
      return exited;
    },
  };
}

/** Retries the health check until it passes (Docker's start period), up to `ms`. */
export async function waitHealthy(c: Container, ms = 20_000): Promise<number> {
  const until = Date.now() + ms;
  let code = await c.healthcheck();
  while (code !== 0 && Date.now() < until) {
    if (c.child.exitCode !== null)
      throw new Error(`the server exited with ${c.child.exitCode}: ${c.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
    code = await c.healthcheck();
  }
  return code;
}
