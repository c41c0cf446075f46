/**
 * @module Loads a model file: reads it, fingerprints it, resolves its runtime and wraps the runtime's
 * model with file facts ({@link ModelInfo}).
 */

import { stat } from "node:fs/promises";
import { basename, resolve as resolvePath } from "node:path";
import { performance } from "node:perf_hooks";
import { Errors, isModelServeError } from "../errors.ts";
import { builtinRuntimes } from "./builtin.ts";
import { digestOf } from "./loading/digest-cache.ts";
import { readModelBytes } from "./loading/read-model-bytes.ts";
import type { RuntimeSet } from "./resolve.ts";
import type { LoadedModel, ModelInfo, Runtime, RuntimeModel } from "./runtime.ts";

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Runtime name to use instead of detection (`sklearn`, `xgboost`, `lightgbm`, `onnx`, `typescript`). */
  readonly runtime?: string;
  /** Runtime-specific settings. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Runtimes to choose from; defaults to the built-in ones. */
  readonly runtimes?: RuntimeSet;
  /** Read the file on this thread, not in a loader worker (see `RuntimeLoadOptions.inline`). */
  readonly inline?: boolean;
}

/** Wraps a runtime model with its info; methods stay bound to the runtime's object. */
function withInfo(model: RuntimeModel, info: ModelInfo): LoadedModel {
  return {
    signature: model.signature,
    details: model.details,
    info,
    ...(model.trainingStats ? { trainingStats: model.trainingStats } : {}),
    ...(model.typicalValues ? { typicalValues: model.typicalValues } : {}),
    ...(model.shared ? { shared: model.shared } : {}),
    predict: (t) => model.predict(t),
    predictProba: model.predictProba ? (t) => model.predictProba!(t) : undefined,
    decisionFunction: model.decisionFunction ? (t) => model.decisionFunction!(t) : undefined,
    transform: model.transform ? (t) => model.transform!(t) : undefined,
    rawScore: model.rawScore ? (t) => model.rawScore!(t) : undefined,
    explain: model.explain ? (t) => model.explain!(t) : undefined,
    close: model.close ? () => model.close!() : undefined,
  };
}

/** A model file read from disk with its runtime chosen, not yet loaded. */
export interface ResolvedModelFile {
  readonly path: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly runtime: Runtime;
  /** When reading started (performance.now()), for the load time. */
  readonly started: number;
}

/**
 * Reads a model file and picks its runtime (hint, extension, magic bytes) without loading it, so
 * that a wrong path or an unknown format fails before anything listens.
 */
export async function resolveModelFile(
  path: string,
  options: LoadModelOptions = {},
): Promise<ResolvedModelFile> {
  const abs = resolvePath(path);
  const started = performance.now();
  let bytes: Uint8Array;
  try {
    const s = await stat(abs);
    if (!s.isFile()) throw Errors.modelFileUnreadable(path, "not a regular file");
    bytes = await readModelBytes(abs, s.size);
  } catch (err) {
    if (isModelServeError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw Errors.modelFileNotFound(path);
    throw Errors.modelFileUnreadable(path, code ?? String(err));
  }
  const runtimes = options.runtimes ?? builtinRuntimes();
  const fileName = basename(abs);
  return { path: abs, fileName, bytes, runtime: runtimes.resolve(fileName, bytes, options.runtime), started };
}

/** Loads a resolved file with its runtime and wraps it with its info. */
export async function loadResolved(
  file: ResolvedModelFile,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const { runtime, bytes, fileName } = file;
  let model: RuntimeModel;
  try {
    model = await runtime.load(
      { path: file.path, fileName, bytes },
      { settings: options.settings, ...(options.inline ? { inline: true } : {}) },
    );
  } catch (err) {
    if (isModelServeError(err)) throw err;
    throw Errors.invalidModel(fileName, err instanceof Error ? err.message : String(err));
  }
  const loadTimeMs = Math.round((performance.now() - file.started) * 1000) / 1000;
  return withInfo(model, {
    ...model.details,
    runtime: runtime.name,
    path: file.path,
    sha256: digestOf(bytes),
    sizeBytes: bytes.byteLength,
    loadTimeMs,
    loadedAt: new Date().toISOString(),
  });
}

/**
 * Loads a model file with the right runtime.
 *
 * @example
 * const model = await loadModel("model.joblib");
 * console.log(model.signature.inputs.map((f) => f.name));
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  return loadResolved(await resolveModelFile(path, options), options);
}
