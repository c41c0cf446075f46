/**
 * @module The startup models before any server exists: what `deploy` accepts as a model, resolving each
 * (downloading remote ones, telling the runtime), the load limits in force, and starting the loads.
 * Kept apart from `deploy.ts` and the server's modules so that `modelserve serve` can start the loader
 * workers first and import Fastify and the rest while they read the files.
 */

import { basename, extname } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { resolveWorkers, usableCpus } from "./cluster/cpus.ts";
import { type Config, loadConfig, type ModelEntry } from "./config/config.ts";
import { Errors } from "./errors.ts";
import type { BatchingOptions } from "./inference/micro-batcher.ts";
import type { InferenceMode } from "./inference/pool/placement.ts";
import { loadLimitsFromConfig, setLoadLimits } from "./runtimes/load-limits.ts";
import {
  type LoadModelOptions,
  loadResolved,
  type ResolvedModelFile,
  resolveModelFile,
} from "./runtimes/load-model.ts";
import type { LoadedModel } from "./runtimes/runtime.ts";
import { isModelDefinition, type ModelDefinition } from "./runtimes/typescript/define-model.ts";
import { loadDefinition } from "./runtimes/typescript/runtime.ts";
import { isRemote } from "./storage/source.ts";
import { Storage, type StorageConfig } from "./storage/storage.ts";
import { checkName } from "./util/names.ts";

/** What `deploy` accepts as a model. */
export type Deployable =
  | string
  | ModelEntry
  | ModelDefinition
  | { readonly name: string; readonly version?: string; readonly model: LoadedModel };

/** Default name of a model file: its base name without extension. */
export function defaultModelName(path: string): string {
  const base = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, "-");
  return /^[A-Za-z0-9]/.test(base) ? base : `model-${base}`;
}

/** A startup model resolved on disk, waiting to load. */
export interface Pending {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  /** Loads the model; `inline`: on this thread, not in a loader worker (see {@link startLoads}). */
  readonly load: (options?: Pick<LoadModelOptions, "inline">) => Promise<LoadedModel>;
  /** The model entry's own `inference` mode, if it has one. */
  readonly inference?: InferenceMode;
  /** The model entry's own micro-batching settings, if it has any. */
  readonly batching?: Partial<BatchingOptions>;
  /** Size of the resolved file, for a file the registry loads (not for a model given as code). */
  readonly sizeBytes?: number;
}

/** A model entry's own micro-batching settings, as {@link Pending}'s `batching` (absent when it has none). */
function ownBatching(entry: ModelEntry): { batching?: Partial<BatchingOptions> } {
  const own = {
    mode: entry.microBatching,
    maxRows: entry.microBatchMaxRows,
    maxWaitUs: entry.microBatchMaxWaitUs,
    maxQueued: entry.maxQueued,
  };
  const set = Object.entries(own).filter(([, v]) => v !== undefined);
  return set.length === 0 ? {} : { batching: Object.fromEntries(set) as Partial<BatchingOptions> };
}

/** Remote sources (S3, HTTPS) for a config, logging through `logger`. */
export function storageFor(config: StorageConfig, logger?: Logger): Storage {
  return new Storage(config, logger ? (level, fields, msg) => logger[level](fields, msg) : undefined);
}

/**
 * Resolves every startup model before anything listens, so a wrong path or format fails at once;
 * returns the loads still to run. A remote model (`s3://`, `https://`) is fetched into the verified
 * cache first (through `storage`; environment settings when none is given). A `typescript` model
 * file is named by its definition.
 */
export async function prepareModels(items: readonly Deployable[], storage?: Storage): Promise<Pending[]> {
  const pending: Pending[] = [];
  for (const item of items) {
    if (isModelDefinition(item)) {
      pending.push({
        name: item.name,
        version: item.version,
        source: "code",
        load: async () => loadDefinition(item),
      });
      continue;
    }
    if (typeof item === "object" && "model" in item) {
      pending.push({
        name: item.name,
        version: item.version ?? "1",
        source: "code",
        load: async () => item.model,
      });
      continue;
    }
    let entry: ModelEntry = typeof item === "string" ? { path: item } : item;
    if (isRemote(entry.path)) {
      storage ??= storageFor(loadConfig());
      const fetched = await storage.fetchFile(entry.path);
      entry = { ...entry, name: entry.name ?? defaultModelName(fetched.fileName), path: fetched.path };
    }
    const file: ResolvedModelFile = await resolveModelFile(entry.path, { runtime: entry.runtime });
    let name = entry.name ?? defaultModelName(entry.path);
    let version = entry.version ?? "1";
    if (file.runtime.name === "typescript" && (!entry.name || !entry.version)) {
      // The definition carries its own name and version; importing it is cheap.
      const model = await loadResolved(file);
      const mod = (await import(pathToFileURL(file.path).href)) as { default?: unknown; model?: unknown };
      const def = [mod.default, mod.model].find(isModelDefinition);
      name = entry.name ?? def?.name ?? name;
      version = entry.version ?? def?.version ?? version;
      pending.push({ name, version, source: file.path, load: async () => model, ...ownBatching(entry) });
      continue;
    }
    pending.push({
      name,
      version,
      source: file.path,
      load: (options) => loadResolved(file, options?.inline ? { inline: true } : {}),
      ...(entry.inference ? { inference: entry.inference } : {}),
      ...ownBatching(entry),
      sizeBytes: file.bytes.byteLength,
    });
  }
  const seen = new Set<string>();
  for (const p of pending) {
    // Refused here, as the registry would refuse them, but before any load starts or anything listens.
    checkName("name", p.name);
    checkName("version", p.version);
    const key = `${p.name}@${p.version}`;
    if (seen.has(key)) throw Errors.duplicateModel(p.name, p.version);
    seen.add(key);
  }
  return pending;
}

/** The CPUs placement weighs: those the process may use, and the event loops (workers) sharing them. */
export interface PlacementCpus {
  readonly usable: number;
  readonly workers: number;
  /**
   * Startup files up to this many bytes load on the main thread (`loadInlineStartupKb` where no CPU
   * is spare for a loader worker, else 0): see {@link startLoads}.
   */
  readonly inlineStartupBytes: number;
}

/**
 * Sets the load limits of a config (before any load starts: they decide, among others, whether a
 * model's arrays go to shared memory) and returns the CPUs placement weighs. Arrays go to shared
 * memory only when some model may run on the inference pool: forced there, or `auto` with a CPU to
 * spare beside the event loops (placement.ts).
 */
export function applyLoadLimits(config: Config): PlacementCpus {
  const usable = usableCpus();
  const workers = resolveWorkers(config.workers);
  const mayPlace = (mode: string) => mode === "pool" || (mode === "auto" && usable > workers);
  const mayPool =
    mayPlace(config.inference) ||
    config.models.some((m) => m.inference !== undefined && mayPlace(m.inference));
  setLoadLimits({ ...loadLimitsFromConfig(config), sharedMemory: mayPool });
  // A loader worker pays off where it runs beside the thread importing the server; on a CPU of its own.
  const spare = usable > workers || mayPool;
  return { usable, workers, inlineStartupBytes: spare ? 0 : config.loadInlineStartupKb * 1024 };
}

/**
 * The same models with their loads started now: each `load` then returns the load under way. The
 * loader workers read and parse the files while the caller does other work (`modelserve serve` imports
 * the server's modules meanwhile); a load that fails is reported when the registry asks for it, as
 * before. Files of at most `inlineMaxBytes` bytes are read on this thread instead (the
 * `inlineStartupBytes` of {@link applyLoadLimits}: with no CPU to spare, a loader worker would only
 * add its own start and the copy of its result). Call {@link applyLoadLimits} first.
 */
export function startLoads(pending: readonly Pending[], inlineMaxBytes = 0): Pending[] {
  return pending.map((p) => {
    const inline = inlineMaxBytes > 0 && p.sizeBytes !== undefined && p.sizeBytes <= inlineMaxBytes;
    const started = p.load(inline ? { inline } : undefined);
    // Its failure is the registry's to report, when it takes the load.
    started.catch(() => undefined);
    return { ...p, load: () => started };
  });
}
