/**
 * @module A model version as everything above the runtimes sees it: its identity, lifecycle state and,
 * once ready, the model with its compiled request validator. The registry owns these; inference,
 * bundles, routes and the CLI read them.
 */

import type { LoadedModel } from "../runtimes/runtime.ts";
import type { RowValidator } from "../schema/validator.ts";

/** Lifecycle state of one model version. */
export type VersionState = "unloaded" | "loading" | "ready" | "failed" | "unloading";

/** Loads a lazily registered version. */
export interface LazyLoader {
  load(): Promise<LoadedModel>;
  readonly source?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Facts known after loading. */
  annotate?(): Readonly<Record<string, unknown>>;
}

/** One version of a model as the registry holds it. */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly state: VersionState;
  /** The model, once ready. */
  readonly model?: LoadedModel;
  /** The compiled request validator, once ready. */
  readonly validator?: RowValidator;
  /** Why the load failed. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Where the model came from (path or `code`). */
  readonly source?: string;
  /** When the state last changed (ISO 8601). */
  readonly since: string;
  /** Free-form facts attached by the loader (bundle manifest, stage). */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** How to (re)load an `unloaded` version on first use. */
  readonly loader?: LazyLoader;
}

/** A ready version, as request handlers use it. */
export interface ReadyVersion extends ModelVersion {
  readonly state: "ready";
  readonly model: LoadedModel;
  readonly validator: RowValidator;
}
