/**
 * @module Opening a bundle (a directory, or the same as a `.tar.gz`): every path stays inside the
 * bundle, every file matches its checksum and size, then the model loads and must reproduce its
 * golden samples before it may serve.
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdtemp, readFile, realpath, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve as resolvePath, sep } from "node:path";
import { Errors, isModelServeError } from "../errors.ts";
import { loadModel } from "../runtimes/load-model.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { checkGolden, type GoldenExpected, type GoldenResult } from "./golden.ts";
import { type BundleManifest, MANIFEST, validateManifest } from "./manifest.ts";

/** An opened, verified bundle on disk. */
export interface OpenBundle {
  /** Directory holding the bundle files. */
  readonly root: string;
  readonly manifest: BundleManifest;
  /** Removes the temporary directory of an extracted archive (no-op for directories). */
  cleanup(): Promise<void>;
}

/** Whether a path is a bundle: a directory with a manifest, or a `.tar.gz`/`.tgz` file. */
export async function isBundle(path: string): Promise<boolean> {
  if (/\.(tar\.gz|tgz)$/i.test(path)) return true;
  try {
    return (await stat(path)).isDirectory() && (await stat(join(path, MANIFEST))).isFile();
  } catch {
    return false;
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Extracts an archive into a fresh temp dir, refusing links, devices and escaping paths. */
async function extractArchive(file: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "modelserve-bundle-"));
  const refused: string[] = [];
  try {
    // tar loads only when an archive is opened: most servers never open one.
    const { extract } = await import("tar");
    await extract({
      file,
      cwd: dir,
      strict: true,
      preservePaths: false,
      filter: (path, entry) => {
        const type = (entry as { type?: string }).type;
        const ok =
          (type === "File" || type === "Directory" || type === "OldFile") && !path.split("/").includes("..");
        if (!ok) refused.push(`${path} (${type})`);
        return ok;
      },
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw Errors.invalidBundle(basename(file), `cannot read the archive: ${(err as Error).message}`);
  }
  if (refused.length > 0) {
    await rm(dir, { recursive: true, force: true });
    throw Errors.invalidBundle(
      basename(file),
      `the archive holds entries that are not plain files: ${refused.join(", ")}`,
    );
  }
  // An archive may wrap the bundle in one top folder.
  try {
    await stat(join(dir, MANIFEST));
    return dir;
  } catch {
    const { readdir } = await import("node:fs/promises");
    const entries = await readdir(dir);
    if (entries.length === 1) return join(dir, entries[0]);
    return dir;
  }
}

/** Opens and verifies a bundle: manifest, paths, checksums and sizes. Does not load the model. */
export async function openBundle(path: string): Promise<OpenBundle> {
  const where = basename(path);
  const archive = /\.(tar\.gz|tgz)$/i.test(path);
  let root: string;
  try {
    root = archive ? await extractArchive(path) : resolvePath(path);
  } catch (err) {
    if (isModelServeError(err)) throw err;
    throw Errors.invalidBundle(where, String(err));
  }
  const top = archive ? resolvePath(root, "..") : root;
  const cleanup = archive ? () => rm(top, { recursive: true, force: true }) : async () => undefined;
  try {
    let text: string;
    try {
      text = await readFile(join(root, MANIFEST), "utf8");
    } catch {
      throw Errors.invalidBundle(where, `no ${MANIFEST}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw Errors.invalidBundle(where, `${MANIFEST} is not valid JSON: ${(err as Error).message}`);
    }
    const manifest = validateManifest(data, where);
    const realRoot = await realpath(root);
    for (const f of manifest.files) {
      const full = join(root, ...f.path.split("/"));
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(full);
      } catch {
        throw Errors.bundleTampered(where, f.path, "is missing");
      }
      if (info.isSymbolicLink())
        throw Errors.bundleTampered(where, f.path, "is a symbolic link, which bundles may not hold");
      if (!info.isFile()) throw Errors.bundleTampered(where, f.path, "is not a regular file");
      const real = await realpath(full);
      if (!real.startsWith(realRoot + sep))
        throw Errors.bundleTampered(where, f.path, "resolves outside the bundle");
      if (info.size !== f.size)
        throw Errors.bundleTampered(
          where,
          f.path,
          `has ${info.size} bytes, the manifest says ${f.size} (truncated or replaced)`,
        );
      const sum = await sha256File(full);
      if (sum !== f.sha256)
        throw Errors.bundleTampered(where, f.path, `has sha256 ${sum}, the manifest says ${f.sha256}`);
    }
    return { root, manifest, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A loaded, verified bundle. */
export interface LoadedBundle {
  readonly model: LoadedModel;
  readonly manifest: BundleManifest;
  /** The golden check, when the bundle has samples. */
  readonly golden?: GoldenResult;
  /** The first golden input row, as the bundle holds it (the documented example of the model). */
  readonly sample?: unknown;
}

async function readJson(root: string, rel: string, where: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(root, ...rel.split("/")), "utf8"));
  } catch (err) {
    throw Errors.invalidBundle(where, `${rel} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Runs a bundle's golden samples on a loaded model. */
export async function runGolden(
  bundle: OpenBundle,
  model: LoadedModel,
): Promise<(GoldenResult & { readonly sample: unknown }) | undefined> {
  const s = bundle.manifest.samples;
  if (!s) return undefined;
  const where = basename(bundle.root);
  const rows = await readJson(bundle.root, s.inputs, where);
  const expected = await readJson(bundle.root, s.expected, where);
  if (!Array.isArray(rows)) throw Errors.invalidBundle(where, `${s.inputs} must hold an array of rows`);
  const exp: GoldenExpected = Array.isArray(expected) ? { predict: expected } : (expected as GoldenExpected);
  return { ...(await checkGolden(model, rows, exp, s.rel, s.abs)), sample: rows[0] };
}

/**
 * Opens, verifies and loads a bundle, refusing it (`MS_GOLDEN_MISMATCH`) when an output differs from
 * its golden samples beyond the declared tolerance.
 */
export async function loadBundle(path: string): Promise<LoadedBundle> {
  const bundle = await openBundle(path);
  try {
    const file = join(bundle.root, ...bundle.manifest.model.split("/"));
    const model = await loadModel(file, { runtime: bundle.manifest.runtime });
    const golden = await runGolden(bundle, model);
    if (golden && golden.diffs.length > 0) {
      await model.close?.();
      throw Errors.goldenMismatch(basename(path), golden.compared, golden.diffs);
    }
    return { model, manifest: bundle.manifest, golden, sample: golden?.sample };
  } finally {
    await bundle.cleanup();
  }
}
