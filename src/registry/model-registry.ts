/**
 * @module The model registry: models by name, each with versions, a default model and a default
 * version per name, per-version states, traffic splits and shadows. A load that fails is recorded,
 * never thrown at the models already serving; a version being replaced drains before it closes.
 */

import { Errors, isModelServeError, type ModelServeError } from "../errors.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { compileValidator, type RowValidator } from "../schema/validator.ts";
import { compareVersions } from "./version-order.ts";

/** Lifecycle state of one model version. */
export type VersionState = "unloaded" | "loading" | "ready" | "failed" | "unloading";

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

/** Loads a lazily registered version. */
export interface LazyLoader {
  load(): Promise<LoadedModel>;
  readonly source?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Facts known after loading. */
  annotate?(): Readonly<Record<string, unknown>>;
}

/** A ready version, as request handlers use it. */
export interface ReadyVersion extends ModelVersion {
  readonly state: "ready";
  readonly model: LoadedModel;
  readonly validator: RowValidator;
}

/** One arm of a traffic split. */
export interface SplitArm {
  readonly version: string;
  readonly weight: number;
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

/** FNV-1a, 32 bits: a stable hash of a routing key, so one client keeps one variant. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface NameEntry {
  readonly versions: Map<string, ModelVersion>;
  pinned?: string;
  /** The effective default, recomputed on every change (the hot path only reads it). */
  current?: string;
  /** Earlier defaults, most recent last, for rollback. */
  readonly history: string[];
  split?: { readonly arms: readonly SplitArm[]; readonly total: number };
  shadow?: string;
}

/** Models by name and version. */
export class ModelRegistry {
  readonly #names = new Map<string, NameEntry>();
  readonly #listeners = new Set<() => void>();
  /** Per version object: requests in flight, last use (epoch ms) and use order (for LRU). */
  readonly #usage = new Map<ModelVersion, { inflight: number; at: number; order: number }>();
  readonly #drained = new Map<ModelVersion, () => void>();
  #uses = 0;
  #active = 0;
  readonly #activating = new Map<string, Promise<ModelVersion>>();
  /** Byte budget of loaded models (by file size); 0 means unlimited. */
  memoryBudgetBytes = 0;
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
    for (const entry of this.#names.values()) {
      const next = this.#computeDefault(entry);
      if (
        entry.current !== undefined &&
        next !== entry.current &&
        entry.versions.get(entry.current)?.state === "ready"
      ) {
        entry.history.push(entry.current);
        if (entry.history.length > 20) entry.history.shift();
      }
      entry.current = next;
    }
    this.#generation++;
    for (const fn of this.#listeners) fn();
  }

  #computeDefault(entry: NameEntry): string | undefined {
    if (entry.pinned && entry.versions.has(entry.pinned)) return entry.pinned;
    const labels = [...entry.versions.keys()].sort(compareVersions);
    // Unloaded (lazy) versions count as servable: they load on first use.
    const ready = labels.filter((v) => {
      const st = entry.versions.get(v)!.state;
      return st === "ready" || st === "unloaded";
    });
    return (ready.length > 0 ? ready : labels).at(-1);
  }

  #set(v: ModelVersion): void {
    let entry = this.#names.get(v.name);
    if (!entry) {
      entry = { versions: new Map(), history: [] };
      this.#names.set(v.name, entry);
    }
    entry.versions.set(v.version, v);
    this.#changed();
  }

  /** Adds a loaded model as a ready version. Throws `MS_DUPLICATE_MODEL` when the version exists and is not failed. */
  register(
    name: string,
    version: string,
    model: LoadedModel,
    source?: string,
    meta?: Readonly<Record<string, unknown>>,
  ): ReadyVersion {
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
      meta,
    };
    this.#set(ready);
    return ready;
  }

  /**
   * Loads a version through `loader`, recording `loading`, then `ready` or `failed`. Never throws for
   * a failed load: the failure is kept on the version and returned. `check` runs on the loaded model
   * before it becomes ready (golden samples, warm-up); a throw there fails the version.
   */
  async load(
    name: string,
    version: string,
    loader: () => Promise<LoadedModel>,
    source?: string,
    options: {
      meta?: Readonly<Record<string, unknown>>;
      check?: (m: LoadedModel) => Promise<void>;
      /** More facts known only after loading, merged into `meta`. */
      annotate?: () => Readonly<Record<string, unknown>>;
    } = {},
  ): Promise<ModelVersion> {
    checkName("name", name);
    checkName("version", version);
    const existing = this.#names.get(name)?.versions.get(version);
    if (existing && existing.state !== "failed" && existing.state !== "unloaded")
      throw Errors.duplicateModel(name, version);
    this.#set({
      name,
      version,
      state: "loading",
      source,
      since: new Date().toISOString(),
      meta: options.meta,
    });
    let model: LoadedModel | undefined;
    try {
      model = await loader();
      await options.check?.(model);
      return this.register(name, version, model, source, { ...options.meta, ...options.annotate?.() });
    } catch (err) {
      await model?.close?.();
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
        meta: options.meta,
      };
      this.#set(failed);
      return failed;
    }
  }

  /** Counts a request in flight on a version (pair with {@link leave}) and records its last use. */
  enter(v: ModelVersion): void {
    // One map lookup on the hot path; the use order breaks ties within a millisecond for LRU.
    this.#active++;
    const u = this.#usage.get(v);
    if (u) {
      u.inflight++;
      u.at = Date.now();
      u.order = ++this.#uses;
    } else {
      this.#usage.set(v, { inflight: 1, at: Date.now(), order: ++this.#uses });
    }
  }

  /** When a version last served a request (epoch ms), if ever. */
  lastUsed(name: string, version: string): number | undefined {
    const v = this.get(name, version);
    return v ? this.#usage.get(v)?.at : undefined;
  }

  /** Registers a version that loads on first use (lazy loading); replaces nothing that is loaded. */
  registerLazy(name: string, version: string, loader: LazyLoader): ModelVersion {
    checkName("name", name);
    checkName("version", version);
    const existing = this.#names.get(name)?.versions.get(version);
    if (existing && existing.state !== "failed" && existing.state !== "unloaded")
      throw Errors.duplicateModel(name, version);
    const v: ModelVersion = {
      name,
      version,
      state: "unloaded",
      source: loader.source,
      since: new Date().toISOString(),
      meta: loader.meta,
      loader,
    };
    this.#set(v);
    return v;
  }

  /**
   * Loads an `unloaded` version (once, however many requests ask), then applies the memory budget.
   * Resolves with the version's new state; loading versions are awaited too.
   */
  activate(name: string, version: string): Promise<ModelVersion> {
    const key = `${name}@${version}`;
    const running = this.#activating.get(key);
    if (running) return running;
    const v = this.get(name, version);
    if (!v?.loader || v.state !== "unloaded") return Promise.resolve(v ?? this.resolve(name, version));
    const loader = v.loader;
    const p = this.load(name, version, () => loader.load(), loader.source, {
      meta: loader.meta,
      annotate: loader.annotate,
    })
      .then(async (res) => {
        if (res.state === "ready") {
          this.#set({ ...res, loader } as ModelVersion);
          await this.enforceBudget(key);
        }
        return this.get(name, version)!;
      })
      .finally(() => this.#activating.delete(key));
    this.#activating.set(key, p);
    return p;
  }

  /** Whether a version can be loaded on demand (lazy) or is being so loaded. */
  canActivate(name: string, version: string): boolean {
    return this.#activating.has(`${name}@${version}`) || this.get(name, version)?.loader !== undefined;
  }

  /** Bytes of loaded models, by their file sizes. */
  loadedBytes(): number {
    let total = 0;
    for (const v of this.all()) if (v.model) total += v.model.info.sizeBytes;
    return total;
  }

  /**
   * Unloads least-recently-used idle versions that can load again (they have a loader) until the
   * loaded models fit `memoryBudgetBytes`. `keep` is never unloaded.
   */
  async enforceBudget(keep?: string): Promise<void> {
    if (this.memoryBudgetBytes <= 0) return;
    let total = this.loadedBytes();
    if (total <= this.memoryBudgetBytes) return;
    const candidates = this.all()
      .filter(
        (v) => v.state === "ready" && v.loader && `${v.name}@${v.version}` !== keep && this.inflight(v) === 0,
      )
      .sort((a, b) => (this.#usage.get(a)?.order ?? 0) - (this.#usage.get(b)?.order ?? 0));
    for (const v of candidates) {
      if (total <= this.memoryBudgetBytes) break;
      total -= v.model!.info.sizeBytes;
      const entry = this.#names.get(v.name)!;
      entry.versions.set(v.version, {
        name: v.name,
        version: v.version,
        state: "unloaded",
        source: v.source,
        since: new Date().toISOString(),
        meta: v.meta,
        loader: v.loader,
      });
      this.#usage.delete(v);
      this.#changed();
      await v.model!.close?.();
    }
  }

  /** Ends a request started with {@link enter}. */
  leave(v: ModelVersion): void {
    const u = this.#usage.get(v);
    if (!u) return;
    this.#active--;
    u.inflight--;
    if (u.inflight <= 0) {
      u.inflight = 0;
      this.#drained.get(v)?.();
    }
  }

  /** Requests in flight across every version (the server is idle at 0). */
  get totalInflight(): number {
    return this.#active;
  }

  /** Requests in flight on a version. */
  inflight(v: ModelVersion): number {
    return this.#usage.get(v)?.inflight ?? 0;
  }

  /**
   * Removes a version: it stops receiving new requests at once (state `unloading`), its in-flight
   * requests finish (up to `drainMs`), then its model closes. The name goes when its last version goes.
   */
  async unload(name: string, version: string, drainMs = 30_000): Promise<void> {
    const entry = this.#names.get(name);
    const v = entry?.versions.get(version);
    if (!entry || !v) throw Errors.versionNotFound(name, version, this.versions(name));
    const unloading: ModelVersion = { ...v, state: "unloading", since: new Date().toISOString() };
    entry.versions.set(version, unloading);
    if (entry.pinned === version) entry.pinned = undefined;
    this.#changed();
    if (this.inflight(v) > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.#drained.set(v, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#drained.delete(v);
    }
    this.#usage.delete(v);
    if (entry.versions.get(version) === unloading) entry.versions.delete(version);
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

  /** Whether the default version of a name is pinned. */
  pinned(name: string): string | undefined {
    return this.#names.get(name)?.pinned;
  }

  /**
   * Goes back to the previous default version that is still ready, pinning it. Returns it, or throws
   * `MS_VERSION_NOT_FOUND` when there is none.
   */
  rollback(name: string): string {
    const entry = this.#names.get(name);
    if (!entry) throw Errors.modelNotFound(name, this.names());
    while (entry.history.length > 0) {
      const prev = entry.history.pop()!;
      if (prev !== entry.current && entry.versions.get(prev)?.state === "ready") {
        entry.pinned = prev;
        const before = entry.current;
        this.#changed();
        // Rolling back is not itself a step to roll back to.
        if (entry.history.at(-1) === before) entry.history.pop();
        return prev;
      }
    }
    throw Errors.versionNotFound(name, "(previous default)", this.versions(name));
  }

  /** Earlier defaults of a name, oldest first. */
  history(name: string): readonly string[] {
    return this.#names.get(name)?.history ?? [];
  }

  /** Sets the model `/predict` uses (undefined: the first registered). */
  setDefaultModel(name: string | undefined): void {
    if (name !== undefined && !this.#names.has(name)) throw Errors.modelNotFound(name, this.names());
    this.#defaultModel = name;
    this.#changed();
  }

  /** The name `/predict` uses. */
  defaultModel(): string | undefined {
    if (this.#defaultModel !== undefined) return this.#defaultModel;
    for (const name of this.#names.keys()) return name;
    return undefined;
  }

  /** The default version label of a name: the pinned one, else the newest ready, else the newest. */
  defaultVersion(name: string): string | undefined {
    return this.#names.get(name)?.current;
  }

  /**
   * Splits the traffic of a name's default route between versions by weight (undefined clears it).
   * Versions must exist when traffic reaches them; a missing or unready arm answers like a missing version.
   */
  setSplit(name: string, arms: readonly SplitArm[] | undefined): void {
    const entry = this.#names.get(name);
    if (!entry) throw Errors.modelNotFound(name, this.names());
    if (!arms || arms.length === 0) {
      entry.split = undefined;
    } else {
      for (const a of arms) {
        checkName("version", a.version);
        if (!(a.weight >= 0) || !Number.isFinite(a.weight))
          throw Errors.invalidConfig(`split weight of ${name}@${a.version} must be ≥ 0`);
      }
      const total = arms.reduce((s, a) => s + a.weight, 0);
      if (total <= 0) throw Errors.invalidConfig(`split of ${name} needs a positive total weight`);
      entry.split = { arms: [...arms], total };
    }
    this.#changed();
  }

  /** The split of a name, if any. */
  split(name: string): readonly SplitArm[] | undefined {
    return this.#names.get(name)?.split?.arms;
  }

  /** Sends a copy of a name's default-route traffic to `version` after each answer (undefined clears it). */
  setShadow(name: string, version: string | undefined): void {
    const entry = this.#names.get(name);
    if (!entry) throw Errors.modelNotFound(name, this.names());
    if (version !== undefined) checkName("version", version);
    entry.shadow = version;
    this.#changed();
  }

  /** The shadow version of a name, if any. */
  shadow(name: string): string | undefined {
    return this.#names.get(name)?.shadow;
  }

  /** One version (any state), or undefined. */
  get(name: string, version: string): ModelVersion | undefined {
    return this.#names.get(name)?.versions.get(version);
  }

  /**
   * The ready version a request addresses: the default model when `name` is undefined; when
   * `version` is undefined, a split arm (by `routingKey` hash, else at random) or the default version.
   * Throws 404/503 errors with stable codes otherwise.
   */
  resolve(name?: string, version?: string, routingKey?: string): ReadyVersion {
    const n = name ?? this.defaultModel();
    if (n === undefined) throw Errors.noDefaultModel();
    const entry = this.#names.get(n);
    if (!entry) throw Errors.modelNotFound(n, this.names());
    let label = version;
    if (label === undefined) {
      const split = entry.split;
      if (split) {
        let point =
          routingKey === undefined
            ? Math.random() * split.total
            : (hashKey(routingKey) / 2 ** 32) * split.total;
        for (const arm of split.arms) {
          point -= arm.weight;
          if (point < 0) {
            label = arm.version;
            break;
          }
        }
        label ??= split.arms.at(-1)!.version;
      } else {
        label = entry.current;
      }
    }
    const v = label === undefined ? undefined : entry.versions.get(label);
    if (!v) throw Errors.versionNotFound(n, label ?? "(none)", this.versions(n));
    if (v.state === "ready") return v as ReadyVersion;
    if (v.state === "failed") throw Errors.modelLoadFailed(n, v.version, v.error?.message ?? "unknown error");
    throw Errors.modelNotReady(n, v.version, v.state);
  }

  /** Whether no version is still loading and at least one is ready (startup readiness). */
  allReady(): boolean {
    const all = this.all();
    return (
      all.some((v) => v.state === "ready" || v.state === "unloaded") &&
      all.every((v) => v.state !== "loading" || v.loader !== undefined)
    );
  }

  /** Closes every model. */
  async close(): Promise<void> {
    const models = this.all().flatMap((v) => (v.model ? [v.model] : []));
    this.#names.clear();
    this.#changed();
    await Promise.allSettled(models.map((m) => m.close?.()));
  }
}
