/** @module A model named on the command line, in the environment or in a config file. */

/** A model to load at startup. */
export interface ModelEntry {
  /** Model name (default: the file name without extension, or the definition's name). */
  readonly name?: string;
  /** Version label (default: "1", or the definition's version). */
  readonly version?: string;
  /** Model file path. */
  readonly path: string;
  /** Runtime hint (`sklearn`, `xgboost`, `lightgbm`, `onnx`, `typescript`). */
  readonly runtime?: string;
  /** Where this model's calls run (`auto`, `inline`, `pool`), overriding the `inference` key. */
  readonly inference?: "auto" | "inline" | "pool";
  /** This model's micro-batching (`auto`, `on`, `off`), overriding the `microBatching` key. */
  readonly microBatching?: "auto" | "on" | "off";
  /** Most rows in one of this model's batches, overriding `microBatchMaxRows`. */
  readonly microBatchMaxRows?: number;
  /** Longest wait for company in this model's batches (µs), overriding `microBatchMaxWaitUs`. */
  readonly microBatchMaxWaitUs?: number;
  /** Most of this model's requests waiting per version, overriding `maxQueued`. */
  readonly maxQueued?: number;
}

/** The keys a model entry may set for its own model, each overriding the server-wide key of its name. */
export const MODEL_ENTRY_KEYS = [
  "inference",
  "microBatching",
  "microBatchMaxRows",
  "microBatchMaxWaitUs",
  "maxQueued",
] as const;

/** Parses `name=path`, `name@version=path` or `path` into a model entry. */
export function parseModelArg(arg: string): ModelEntry {
  const eq = arg.indexOf("=");
  if (eq > 0 && !arg.slice(0, eq).includes("/")) {
    const name = arg.slice(0, eq);
    const rest = arg.slice(eq + 1);
    const at = name.indexOf("@");
    return at > 0
      ? { name: name.slice(0, at), version: name.slice(at + 1), path: rest }
      : { name, path: rest };
  }
  return { path: arg };
}
