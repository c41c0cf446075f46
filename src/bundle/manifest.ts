/**
 * @module The bundle manifest (`modelserve.json`): what a versioned model artifact holds — name,
 * version, runtime, files with checksums, framework versions, metadata, the signature at bundle time,
 * training statistics and golden samples — and its validation.
 */

import { Errors } from "../errors.ts";
import type { ModelSignature } from "../runtimes/runtime.ts";

/** The manifest file name inside a bundle. */
export const MANIFEST = "modelserve.json";

/** The manifest format tag. */
export const BUNDLE_FORMAT = "modelserve-bundle/1";

/** One file of a bundle. */
export interface BundleFile {
  /** Path relative to the bundle root, `/`-separated, never absolute or with `..`. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** Per-feature statistics of the training data (for drift checks); see observability/drift.ts. */
export type { FeatureStats } from "../observability/drift.ts";

/** Golden samples: inputs and what the training environment answered for them. */
export interface GoldenSamples {
  /** Rows file (JSON array of named or positional rows). */
  readonly inputs: string;
  /** Expected outputs file: `{"predict": [...], "predict_proba"?: [[...]]}`. */
  readonly expected: string;
  /** Tolerance for numbers: |a-b| ≤ max(abs, rel·max(|a|,|b|)). */
  readonly rel: number;
  readonly abs: number;
  /** Who produced the expected outputs: `training` (given) or `modelserve` (recorded at bundle time). */
  readonly source: "training" | "modelserve";
}

import type { FeatureStats } from "../observability/drift.ts";

/** The manifest. */
export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly name: string;
  readonly version: string;
  /** Runtime that loads the model file. */
  readonly runtime: string;
  /** The model file (one of `files`). */
  readonly model: string;
  readonly files: readonly BundleFile[];
  readonly createdAt: string;
  /** Framework and its version as read from the model (`scikit-learn 1.9.1`). */
  readonly framework?: { readonly name: string; readonly version?: string };
  readonly modelType?: string;
  /** The signature as resolved at bundle time (informational; the loaded model's own is served). */
  readonly signature?: ModelSignature;
  /** Free-form metadata: training metrics, data ranges, owner. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly trainingStats?: Readonly<Record<string, FeatureStats>>;
  readonly samples?: GoldenSamples;
}

/** Whether a manifest path is safe: relative, `/`-separated, no `..`, no empty or dot segments. */
export function safeRelativePath(p: unknown): p is string {
  if (typeof p !== "string" || p.length === 0 || p.length > 1024) return false;
  if (p.startsWith("/") || p.includes("\\") || p.includes("\0") || /^[A-Za-z]:/.test(p)) return false;
  return p.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

/** Validates a parsed manifest; throws `MS_INVALID_BUNDLE` naming the field. */
export function validateManifest(data: unknown, where: string): BundleManifest {
  const bad = (what: string) => Errors.invalidBundle(where, `${MANIFEST}: ${what}`);
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw bad("must be a JSON object");
  const m = data as Record<string, unknown>;
  if (m.format !== BUNDLE_FORMAT) throw bad(`format must be "${BUNDLE_FORMAT}"`);
  for (const k of ["name", "version", "runtime", "model", "createdAt"]) {
    if (typeof m[k] !== "string" || m[k] === "") throw bad(`"${k}" must be a non-empty string`);
  }
  if (!Array.isArray(m.files) || m.files.length === 0) throw bad('"files" must list the bundle files');
  const paths = new Set<string>();
  for (const f of m.files as unknown[]) {
    const file = f as Record<string, unknown>;
    if (!safeRelativePath(file?.path))
      throw bad(`file path ${JSON.stringify(file?.path)} is not a safe relative path`);
    if (typeof file.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(file.sha256))
      throw bad(`file ${file.path}: bad sha256`);
    if (typeof file.size !== "number" || !Number.isInteger(file.size) || file.size < 0)
      throw bad(`file ${file.path}: bad size`);
    paths.add(file.path);
  }
  if (!paths.has(m.model as string)) throw bad(`model "${m.model}" is not among the files`);
  if (m.samples !== undefined) {
    const s = m.samples as Record<string, unknown>;
    for (const k of ["inputs", "expected"]) {
      if (!paths.has(s?.[k] as string)) throw bad(`samples.${k} must name one of the files`);
    }
    if (typeof s.rel !== "number" || typeof s.abs !== "number" || s.rel < 0 || s.abs < 0)
      throw bad("samples.rel/abs must be numbers ≥ 0");
  }
  return m as unknown as BundleManifest;
}
