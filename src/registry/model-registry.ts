/**
 * @module The model registry: models by name, each with versions in a small state machine
 * (`unloaded → loading → ready | failed → unloading`), and leases for the requests they answer.
 * Routing (defaults, pins, splits, shadows) lives in `routing.ts`, lease counting in `leases.ts`, the
 * memory budget in `memory-budget.ts`. A load that fails is recorded, never thrown at the models
 * already serving; a version being replaced drains its leases before it closes.
 */

import { Errors, isModelServeError, type ModelServeError } from "../errors.ts";
import type { LazyLoader, ModelVersion, ReadyVersion } from "../inference/version.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { compileValidator } from "../schema/validator.ts";
import { checkName } from "../util/names.ts";
import { type Lease, LeaseBook } from "./leases.ts";
import { budgetVictims, loadedBytes } from "./memory-budget.ts";
import type { SplitArm } from "./routing.ts";
import { SwitchClock } from "./switch-clock.ts";
import { type LoadOptions, VersionStore } from "./version-store.ts";

export type { LazyLoader, ModelVersion, ReadyVersion, VersionState } from "../inference/version.ts";
export { checkName } from "../util/names.ts";
export type { Lease } from "./leases.ts";
export type { SplitArm } from "./routing.ts";
export type { LoadOptions } from "./version-store.ts";

const now = () => new Date().toISOString();

/** Models by name and version. */
export class ModelRegistry extends VersionStore {
  readonly #book = new LeaseBook();
  readonly #activating = new Map<string, Promise<ModelVersion>>();
  /** Byte budget of loaded models (by file size); 0 means unlimited. */
  memoryBudgetBytes = 0;
  #defaultModel: string | undefined;
  readonly clock = new SwitchClock(); // changes agreed across workers, applied at their time

  /** Throws `MS_DUPLICATE_MODEL` when `name@version` exists in a state other than `allowed`. */
  #checkFree(name: string, version: string, ...allowed: string[]): void {
    checkName("name", name);
    checkName("version", version);
    const existing = this.get(name, version);
    if (existing && !allowed.includes(existing.state)) throw Errors.duplicateModel(name, version);
  }

  /** Adds a loaded model as a ready version. Throws `MS_DUPLICATE_MODEL` when the version exists and is not failed. */
  register(
    name: string,
    version: string,
    model: LoadedModel,
    source?: string,
    meta?: Readonly<Record<string, unknown>>,
  ): ReadyVersion {
    this.#checkFree(name, version, "failed", "loading");
    const validator = compileValidator(model.signature);
    const ready: ReadyVersion = {
      name,
      version,
      state: "ready",
      model,
      validator,
      source,
      since: now(),
      meta,
    };
    this.put(ready);
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
    options: LoadOptions = {},
  ): Promise<ModelVersion> {
    this.#checkFree(name, version, "failed", "unloaded");
    this.put({ name, version, state: "loading", source, since: now(), meta: options.meta });
    let model: LoadedModel | undefined;
    try {
      model = await loader();
      await options.check?.(model);
      const placed = await this.place(model, name, version, options);
      model = placed.model;
      return this.register(name, version, model, source, placed.meta);
    } catch (err) {
      await model?.close?.();
      const e: ModelServeError = isModelServeError(err)
        ? err
        : Errors.modelLoadFailed(name, version, err instanceof Error ? err.message : String(err));
      const error = { code: e.code, message: e.message };
      const failed: ModelVersion = {
        name,
        version,
        state: "failed",
        error,
        source,
        since: now(),
        meta: options.meta,
      };
      this.put(failed);
      return failed;
    }
  }

  /** Registers a version that loads on first use (lazy loading); replaces nothing that is loaded. */
  registerLazy(name: string, version: string, loader: LazyLoader): ModelVersion {
    this.#checkFree(name, version, "failed", "unloaded");
    const v: ModelVersion = {
      ...{ name, version, state: "unloaded", source: loader.source, since: now() },
      ...{ meta: loader.meta, loader },
    };
    this.put(v);
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
    const options = { meta: loader.meta, annotate: loader.annotate };
    const p = this.load(name, version, () => loader.load(), loader.source, options)
      .then(async (res) => {
        if (res.state === "ready") {
          this.put({ ...res, loader } as ModelVersion);
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
  loadedBytes = (): number => loadedBytes(this.all());

  /** Unloads idle lazily loaded versions, least recently used first, to fit `memoryBudgetBytes`; `keep` stays. */
  async enforceBudget(keep?: string): Promise<void> {
    for (const v of budgetVictims(this.all(), this.memoryBudgetBytes, this.#book, keep)) {
      const { name, version, source, meta, loader } = v;
      this.byName
        .get(name)!
        .versions.set(version, { name, version, state: "unloaded", source, since: now(), meta, loader });
      this.#book.forget(v);
      this.changed();
      await v.model!.close?.();
    }
  }

  /**
   * A lease on the ready version a request addresses (see {@link resolve}), loading a lazily
   * registered version first. Release it once the answer is written.
   */
  acquire(name?: string, version?: string, routingKey?: string): Lease | Promise<Lease> {
    try {
      return this.#book.lease(this.resolve(name, version, routingKey));
    } catch (err) {
      const d = (err as ModelServeError).details as { name?: string; version?: string } | undefined;
      if ((err as ModelServeError).code !== "MS_MODEL_NOT_READY" || !d?.name || !d.version) throw err;
      if (!this.canActivate(d.name, d.version)) throw err;
      const { name: n, version: v } = d as { name: string; version: string };
      return this.activate(n, v).then(() => this.#book.lease(this.resolve(n, v)));
    }
  }

  /** Counts a request in flight on a version without a lease (pair with {@link leave}, which ends it). */
  enter = (v: ModelVersion): void => this.#book.enter(v);
  leave = (v: ModelVersion): void => this.#book.leave(v);

  /** Requests in flight across every version (the server is idle at 0). */
  get totalInflight(): number {
    return this.#book.total;
  }

  /** Requests in flight on a version. */
  inflight = (v: ModelVersion): number => this.#book.inflight(v);

  /** When a version last served a request (epoch ms), if ever. */
  lastUsed(name: string, version: string): number | undefined {
    const v = this.get(name, version);
    return v ? this.#book.lastUsed(v) : undefined;
  }

  /**
   * Removes a version: it stops receiving new requests at once (state `unloading`), its leases are
   * released (up to `drainMs`), then its model closes. The name goes when its last version goes.
   */
  async unload(name: string, version: string, drainMs = 30_000): Promise<void> {
    const entry = this.byName.get(name);
    const v = entry?.versions.get(version);
    if (!entry || !v) throw Errors.versionNotFound(name, version, this.versions(name));
    const unloading: ModelVersion = { ...v, state: "unloading", since: now() };
    entry.versions.set(version, unloading);
    if (entry.routes.pinned === version) entry.routes.pinned = undefined;
    this.changed();
    await this.#book.drain(v, drainMs);
    this.#book.forget(v);
    this.gate?.forget(name, version);
    if (entry.versions.get(version) === unloading) entry.versions.delete(version);
    if (entry.versions.size === 0) this.byName.delete(name);
    if (this.#defaultModel === name && !this.byName.has(name)) this.#defaultModel = undefined;
    this.changed();
    await v.model?.close?.();
  }

  /** Pins the default version of a name (undefined: newest ready version). */
  setDefaultVersion(name: string, version: string | undefined): void {
    const entry = this.entry(name);
    if (version !== undefined && !entry.versions.has(version))
      throw Errors.versionNotFound(name, version, this.versions(name));
    entry.routes.pinned = version;
    this.changed();
  }

  /** Pins the previous default that is still ready and returns it; `MS_VERSION_NOT_FOUND` when none. */
  rollback(name: string): string {
    const { routes, versions } = this.entry(name);
    const prev = routes.rollbackTarget(versions);
    if (prev === undefined) throw Errors.versionNotFound(name, "(previous default)", this.versions(name));
    const before = routes.current;
    this.changed();
    routes.forgetRollbackStep(before);
    return prev;
  }

  /** Sets the model `/predict` uses (undefined: the first registered). */
  setDefaultModel(name: string | undefined): void {
    if (name !== undefined) this.entry(name);
    this.#defaultModel = name;
    this.changed();
  }

  /** The name `/predict` uses. */
  defaultModel(): string | undefined {
    return this.#defaultModel ?? this.byName.keys().next().value;
  }

  /** Splits a name's default-route traffic between versions by weight (undefined clears it). */
  setSplit(name: string, arms: readonly SplitArm[] | undefined): void {
    this.entry(name).routes.setSplit(name, arms);
    this.changed();
  }

  /** Mirrors a name's default-route traffic to `version` after each answer (undefined clears it). */
  setShadow(name: string, version: string | undefined): void {
    const entry = this.entry(name);
    if (version !== undefined) checkName("version", version);
    entry.routes.shadow = version;
    this.changed();
  }

  /**
   * The ready version a request addresses: the default model when `name` is undefined; when
   * `version` is undefined, a split arm or the default version. Throws 404/503 errors with stable codes.
   */
  resolve(name?: string, version?: string, routingKey?: string): ReadyVersion {
    if (this.clock.due()) this.clock.flush();
    const n = name ?? this.defaultModel();
    if (n === undefined) throw Errors.noDefaultModel();
    const entry = this.entry(n);
    const label = version ?? entry.routes.choose(routingKey);
    const v = label === undefined ? undefined : entry.versions.get(label);
    if (!v) throw Errors.versionNotFound(n, label ?? "(none)", this.versions(n));
    if (v.state === "ready") return v as ReadyVersion;
    if (v.state === "failed") throw Errors.modelLoadFailed(n, v.version, v.error?.message ?? "unknown error");
    throw Errors.modelNotReady(n, v.version, v.state);
  }

  /** Closes every model. */
  async close(): Promise<void> {
    const models = this.all().flatMap((v) => (v.model ? [v.model] : []));
    this.byName.clear();
    this.changed();
    await Promise.allSettled(models.map((m) => m.close?.()));
  }
}
