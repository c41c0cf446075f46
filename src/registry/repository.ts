/**
 * @module The model repository: a tree `DIR/<name>/<version>/` where each version is a bundle or a
 * bare model file, with optional stages (`DIR/<name>/stages.json`). Scanning it, loading one version,
 * and recording promotions.
 */

import { readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isBundle, loadBundle } from "../bundle/open-bundle.ts";
import { Errors } from "../errors.ts";
import { infer } from "../inference/run.ts";
import { loadModel } from "../runtimes/load-model.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { exampleRow } from "../schema/json-schema.ts";
import { compileValidator } from "../schema/validator.ts";
import { checkName, type ReadyVersion } from "./model-registry.ts";
import { compareVersions } from "./version-order.ts";

/** A version found in a repository. */
export interface RepositoryVersion {
  readonly name: string;
  readonly version: string;
  /** The bundle directory or the model file. */
  readonly path: string;
  readonly kind: "bundle" | "file";
  /** Stage recorded by `modelserve promote`, if any. */
  readonly stage?: string;
  /** Modification time of the version folder (a changed folder is reconsidered). */
  readonly mtimeMs: number;
}

/** The marker that tells a watcher a version folder is still being written. */
export const INCOMPLETE_MARKER = ".incomplete";

/** The stages file of a model folder. */
export const STAGES_FILE = "stages.json";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const hidden = (n: string) => n.startsWith(".") || n.endsWith(".partial") || n.endsWith(".tmp");

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !hidden(e.name) && NAME.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The stages of a model folder: version → stage. */
export async function readStages(dir: string, name: string): Promise<Record<string, string>> {
  try {
    const data = JSON.parse(await readFile(join(dir, name, STAGES_FILE), "utf8")) as unknown;
    return typeof data === "object" && data !== null && !Array.isArray(data)
      ? (data as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}

/** Finds the model of a version folder: a bundle, or its single model file. */
async function versionPath(folder: string): Promise<{ path: string; kind: "bundle" | "file" } | undefined> {
  if (await isBundle(folder)) return { path: folder, kind: "bundle" };
  const entries = (await readdir(folder, { withFileTypes: true })).filter(
    (e) => e.isFile() && !hidden(e.name),
  );
  if (entries.some((e) => e.name === INCOMPLETE_MARKER)) return undefined;
  const archives = entries.filter((e) => /\.(tar\.gz|tgz)$/i.test(e.name));
  if (archives.length === 1) return { path: join(folder, archives[0].name), kind: "bundle" };
  const models = entries.filter((e) => !/\.(json|md|txt)$/i.test(e.name) || /^model\./.test(e.name));
  const pick =
    entries.length === 1
      ? entries[0]
      : models.length === 1
        ? models[0]
        : entries.find((e) => e.name.startsWith("model."));
  return pick ? { path: join(folder, pick.name), kind: "file" } : undefined;
}

/** Lists every complete version in a repository, by name then natural version order. */
export async function scanRepository(dir: string, stage?: string): Promise<RepositoryVersion[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error("not a directory");
  } catch {
    throw Errors.invalidConfig(`repository ${dir} is not a readable directory`);
  }
  const out: RepositoryVersion[] = [];
  for (const name of await listDirs(dir)) {
    const stages = await readStages(dir, name);
    const versions = (await listDirs(join(dir, name))).sort(compareVersions);
    for (const version of versions) {
      const folder = join(dir, name, version);
      try {
        if ((await readdir(folder)).includes(INCOMPLETE_MARKER)) continue;
        const found = await versionPath(folder);
        if (!found) continue;
        const st = stages[version];
        if (stage !== undefined && st !== stage) continue;
        out.push({
          name,
          version,
          ...found,
          ...(st ? { stage: st } : {}),
          mtimeMs: (await stat(folder)).mtimeMs,
        });
      } catch {
        // A folder removed while scanning is simply not there.
      }
    }
  }
  return out;
}

/** Runs one example row through a fresh model so its first real request does not pay for warm-up. */
export async function warmUp(model: LoadedModel): Promise<void> {
  const validator = compileValidator(model.signature);
  const v = { name: "warm-up", version: "0", state: "ready", model, validator, since: "" } as ReadyVersion;
  try {
    await infer(v, validator.toTable([exampleRow(model.signature)], "warm-up"), "predict");
  } catch {
    // Example values may fall outside a model's valid inputs; warm-up is best effort.
  }
}

/** Loads one repository version (bundles are verified and golden-checked) and warms it up. */
export async function loadRepositoryVersion(
  v: RepositoryVersion,
): Promise<{ model: LoadedModel; meta: Record<string, unknown> }> {
  if (v.kind === "bundle") {
    const b = await loadBundle(v.path);
    await warmUp(b.model);
    return {
      model: b.model,
      meta: {
        source: "bundle",
        ...(v.stage ? { stage: v.stage } : {}),
        bundle: {
          createdAt: b.manifest.createdAt,
          metadata: b.manifest.metadata,
          golden: b.golden ? { compared: b.golden.compared, differing: b.golden.diffs.length } : undefined,
        },
        ...(b.manifest.trainingStats ? { trainingStats: b.manifest.trainingStats } : {}),
        // The first golden sample is the documented example (OpenAPI, the dashboard's form).
        ...(b.sample !== undefined ? { exampleRow: b.sample } : {}),
      },
    };
  }
  const model = await loadModel(v.path);
  await warmUp(model);
  return { model, meta: { source: "file", ...(v.stage ? { stage: v.stage } : {}) } };
}

/** Records the stage of a version in the repository (`modelserve promote`). */
export async function promote(dir: string, name: string, version: string, stage: string): Promise<void> {
  checkName("name", name);
  checkName("version", version);
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(stage))
    throw Errors.invalidConfig(`stage "${stage}" must be a lower-case word`);
  try {
    await stat(join(dir, name, version));
  } catch {
    throw Errors.versionNotFound(name, version, (await listDirs(join(dir, name))).sort(compareVersions));
  }
  const stages = await readStages(dir, name);
  stages[version] = stage;
  const file = join(dir, name, STAGES_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(stages, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
