/**
 * @module The model registry: models by name, each with versions, a default model and a default
 * version per name, and a per-version state. A load that fails is recorded, never thrown at the
 * models already serving.
 */

import { Errors, isModelServeError, type ModelServeError } from "../errors.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { compileValidator, type RowValidator } from "../schema/validator.ts";
import { compareVersions } from "./version-order.ts";

/** Lifecycle state of one model version. */
export type VersionState = "loading" | "ready" | "failed" | "unloading";

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
}

/** A ready version, as request handlers use it. */
export interface ReadyVersion extends ModelVersion {
  readonly state: "ready";
  readonly model: LoadedModel;
  readonly validator: RowValidator;
}

/** Names must be URL-safe: they appear in routes. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a model name or version label, throwing `MS_INVALID_DEFINITION`. */
export function checkName(what: "name" | "version", value: string): string {
  if (!NAME.test(value)) {
    throw Errors.invalidDefinition(
      `model ${what} ${JSON.stringify(value)}`,
      "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  return value;
}

interface NameEntry {
  readonly versions: Map<string, ModelVersion>;
  pinned?: string;
}

/** Models by name and version. */
export class ModelRegistry {
  readonly #names = new Map<string, NameEntry>();
  readonly #listeners = new Set<() => void>();
  #defaultModel: string | undefined;
  #generation = 0;

  /** Increments on every change; caches (OpenAPI) compare it. */
  get generation(): number {
    return this.#generation;
  }

  /** Calls `fn` after every change; returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(): void {
    this.#generation++;
    for (const fn of this.#listeners) fn();
  }

  #set(v: ModelVersion): void {
    let entry = this.#names.get(v.name);
    if (!entry) {
      entry = { versions: new Map() };
      this.#names.set(v.name, entry);
    }
    entry.versions.set(v.version, v);
    this.#changed();
  }

  /** Adds a loaded model as a ready version. Throws `MS_DUPLICATE_MODEL` when the version exists and is not failed. */
  register(name: string, version: string, model: LoadedModel, source?: string): ReadyVersion {
    checkName("name", name);
    checkName("version", version);
    const existing = this.#names.get(name)?.versions.get(version);
    if (existing && existing.state !== "failed" && existing.state !== "loading")
      throw Errors.duplicateModel(name, version);
    const ready: ReadyVersion = {
      name,
      version,
      state: "ready",
      model,
      validator: compileValidator(model.signature),
      source,
      since: new Date().toISOString(),
    };
    this.#set(ready);
    return ready;
  }

  /**
   * Loads a version through `loader`, recording `loading`, then `ready` or `failed`. Never throws for
   * a failed load: the failure is kept on the version and returned.
   */
  async load(
    name: string,
    version: string,
    loader: () => Promise<LoadedModel>,
    source?: string,
  ): Promise<ModelVersion> {
    checkName("name", name);
    checkName("version", version);
    const existing = this.#names.get(name)?.versions.get(version);
    if (existing && existing.state !== "failed") throw Errors.duplicateModel(name, version);
    this.#set({ name, version, state: "loading", source, since: new Date().toISOString() });
    try {
      const model = await loader();
      return this.register(name, version, model, source);
    } catch (err) {
      const e: ModelServeError = isModelServeError(err)
        ? err
        : Errors.modelLoadFailed(name, version, err instanceof Error ? err.message : String(err));
      const failed: ModelVersion = {
        name,
        version,
        state: "failed",
        error: { code: e.code, message: e.message },
        source,
        since: new Date().toISOString(),
      };
      this.#set(failed);
      return failed;
    }
  }

  /** Removes a version (closing its model); the name goes when its last version goes. */
  async unload(name: string, version: string): Promise<void> {
    const entry = this.#names.get(name);
    const v = entry?.versions.get(version);
    if (!entry || !v) throw Errors.versionNotFound(name, version, this.versions(name));
    entry.versions.delete(version);
    if (entry.pinned === version) entry.pinned = undefined;
    if (entry.versions.size === 0) this.#names.delete(name);
    if (this.#defaultModel === name && !this.#names.has(name)) this.#defaultModel = undefined;
    this.#changed();
    await v.model?.close?.();
  }

  /** Model names in registration order. */
  names(): string[] {
    return [...this.#names.keys()];
  }

  /** Version labels of a name, oldest first. */
  versions(name: string): string[] {
    return [...(this.#names.get(name)?.versions.keys() ?? [])].sort(compareVersions);
  }

  /** Every version of a name (all states), oldest first. */
  entries(name: string): ModelVersion[] {
    const entry = this.#names.get(name);
    if (!entry) return [];
    return this.versions(name).map((v) => entry.versions.get(v)!);
  }

  /** Every version of every model. */
  all(): ModelVersion[] {
    return this.names().flatMap((n) => this.entries(n));
  }

  /** Pins the default version of a name (undefined: newest ready version). */
  setDefaultVersion(name: string, version: string | undefined): void {
    const entry = this.#names.get(name);
    if (!entry) throw Errors.modelNotFound(name, this.names());
    if (version !== undefined && !entry.versions.has(version))
      throw Errors.versionNotFound(name, version, this.versions(name));
    entry.pinned = version;
    this.#changed();
  }

  /** Sets the model `/predict` uses (undefined: the first registered). */
  setDefaultModel(name: string | undefined): void {
    if (name !== undefined && !this.#names.has(name)) throw Errors.modelNotFound(name, this.names());
    this.#defaultModel = name;
    this.#changed();
  }

  /** The name `/predict` uses. */
  defaultModel(): string | undefined {
    return this.#defaultModel ?? this.names()[0];
  }

  /** The default version label of a name: the pinned one, else the newest ready, else the newest. */
  defaultVersion(name: string): string | undefined {
    const entry = this.#names.get(name);
    if (!entry) return undefined;
    if (entry.pinned) return entry.pinned;
    const labels = this.versions(name);
    const ready = labels.filter((v) => entry.versions.get(v)!.state === "ready");
    return (ready.length > 0 ? ready : labels).at(-1);
  }

  /** One version (any state), or undefined. */
  get(name: string, version: string): ModelVersion | undefined {
    return this.#names.get(name)?.versions.get(version);
  }

  /**
   * The ready version a request addresses: the default model when `name` is undefined, the default
   * version when `version` is undefined. Throws 404/503 errors with stable codes otherwise.
   */
  resolve(name?: string, version?: string): ReadyVersion {
    const n = name ?? this.defaultModel();
    if (n === undefined) throw Errors.noDefaultModel();
    const entry = this.#names.get(n);
    if (!entry) throw Errors.modelNotFound(n, this.names());
    const label = version ?? this.defaultVersion(n)!;
    const v = entry.versions.get(label);
    if (!v) throw Errors.versionNotFound(n, label, this.versions(n));
    if (v.state === "failed") throw Errors.modelLoadFailed(n, label, v.error?.message ?? "unknown error");
    if (v.state !== "ready") throw Errors.modelNotReady(n, label, v.state);
    return v as ReadyVersion;
  }

  /** Whether no version is still loading and at least one is ready (startup readiness). */
  allReady(): boolean {
    const all = this.all();
    return all.some((v) => v.state === "ready") && all.every((v) => v.state !== "loading");
  }

  /** Closes every model. */
  async close(): Promise<void> {
    const models = this.all().flatMap((v) => (v.model ? [v.model] : []));
    this.#names.clear();
    this.#changed();
    await Promise.allSettled(models.map((m) => m.close?.()));
  }
}
