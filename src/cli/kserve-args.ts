/**
 * @module KServe's container conventions on the command line. KServe starts a serving runtime with
 * `--model_name=<name> --model_dir=/mnt/models --http_port=8080` (plus `--grpc_port`), after its storage
 * initializer has copied `storageUri` into `/mnt/models`. The port flags are aliases of the `port` and
 * `grpcPort` keys; the model flags are rewritten here, before parsing: `serve` is implied, and the model
 * directory becomes a model argument (a single model file, or a folder holding one), a repository
 * (`<dir>/<name>/<version>/`), or — for a bundle — a one-version repository made for it.
 */

import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MANIFEST } from "../bundle/manifest.ts";

/** Files in a model directory that are never the model itself. */
const NOT_A_MODEL = /^(\.|README|LICENSE)|\.(md|txt\.sha256)$/i;

/** What a KServe model directory holds. */
export type ModelDirKind =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "bundle" }
  | { readonly kind: "repository" };

/** Tells what a KServe model directory (or file) holds. */
export function classifyModelDir(dir: string): ModelDirKind {
  const st = statSync(dir);
  if (st.isFile()) return /\.(tar\.gz|tgz)$/i.test(dir) ? { kind: "bundle" } : { kind: "file", path: dir };
  if (existsSync(join(dir, MANIFEST))) return { kind: "bundle" };
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !NOT_A_MODEL.test(e.name));
  const files = entries.filter((e) => e.isFile());
  const dirs = entries.filter((e) => e.isDirectory());
  if (files.length === 1 && /\.(tar\.gz|tgz)$/i.test(files[0].name)) return { kind: "bundle" };
  if (files.length === 1) return { kind: "file", path: join(dir, files[0].name) };
  if (files.length === 0 && dirs.length > 0) return { kind: "repository" };
  const named = files.find((f) => /^model\./.test(f.name));
  if (named) return { kind: "file", path: join(dir, named.name) };
  return { kind: "repository" };
}

/**
 * Copies a bundle into a fresh one-version repository `<tmp>/<name>/1/`, returning the repository. The
 * copy is removed when the process exits (a container restarted in place would otherwise gather one
 * copy of the model per start).
 */
function bundleRepository(dir: string, name: string): string {
  const root = mkdtempSync(join(tmpdir(), "modelserve-kserve-"));
  process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  const target = join(root, name, "1");
  if (statSync(dir).isFile()) {
    cpSync(dir, join(target, dir.split("/").at(-1)!), { recursive: true });
  } else cpSync(dir, target, { recursive: true });
  return root;
}

/**
 * Rewrites KServe-style arguments (`--model_name`, `--model_dir`, in `--flag=value` or `--flag value`
 * form) into `serve` arguments; other argument lists pass unchanged.
 * `argv` is the whole process argv (node, script, ...args).
 */
export function kserveArgs(argv: readonly string[]): string[] {
  const head = argv.slice(0, 2);
  const args = argv.slice(2);
  const isKserve = args.some((a) => /^--(model_name|model_dir|http_port|grpc_port)(=|$)/.test(a));
  if (!isKserve) return [...argv];
  const out: string[] = [];
  let modelName: string | undefined;
  let modelDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const m = /^(--[a-z_]+)(?:=(.*))?$/.exec(a);
    const flag = m?.[1];
    if (flag === "--model_name" || flag === "--model_dir") {
      const value = m?.[2] ?? args[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      if (flag === "--model_name") modelName = value;
      else modelDir = value;
      continue;
    }
    out.push(a);
  }
  // KServe passes only flags; the subcommand is implied.
  if (out[0] !== "serve") out.unshift("serve");
  if (modelDir !== undefined) {
    const what = classifyModelDir(modelDir);
    const name = modelName ?? "model";
    if (what.kind === "file") out.push(modelName ? `${modelName}=${what.path}` : what.path);
    else if (what.kind === "bundle") out.push("--repository", bundleRepository(modelDir, name));
    else out.push("--repository", modelDir);
    if (what.kind !== "repository" && modelName) out.push("--default-model", modelName);
  }
  return [...head, ...out];
}
