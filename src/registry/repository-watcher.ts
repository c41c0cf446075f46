/**
 * @module Serving a repository: loads its versions, and with `watch` picks up new ones as they appear
 * — loaded, verified, warmed up, then made the default atomically while the old version drains and is
 * unloaded. A version that fails never receives traffic; the failure stays visible in `/models`.
 */

import type { Logger } from "pino";
import { isModelServeError } from "../errors.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { loadRepositoryVersion, type RepositoryVersion, scanRepository } from "./repository.ts";

/** Options of {@link RepositoryWatcher}. */
export interface RepositoryOptions {
  readonly dir: string;
  /** Serve only versions promoted to this stage. */
  readonly stage?: string;
  /** Poll the tree for changes. */
  readonly watch: boolean;
  /** Poll interval in milliseconds (default 1000). */
  readonly intervalMs?: number;
  /**
   * Ready versions kept loaded per name (default 2: the default and the one before, so a rollback is
   * instant). Older ones drain and unload. Pinned, split and shadow versions are always kept.
   */
  readonly keepVersions?: number;
  /** Register versions without loading them; each loads on its first request (default false). */
  readonly lazy?: boolean;
  /** How long a replaced version may take to finish its in-flight requests (default 30 s). */
  readonly drainMs?: number;
  readonly logger?: Logger;
}

const key = (name: string, version: string) => `${name}@${version}`;

/** Keeps a registry in step with a repository. */
export class RepositoryWatcher {
  readonly #registry: ModelRegistry;
  readonly #o: RepositoryOptions;
  /** Versions seen on disk, with the folder time we loaded them at (failed ones are retried when it changes). */
  readonly #seen = new Map<string, RepositoryVersion>();
  /** Versions this watcher unloaded as old: not reloaded unless their folder changes or an admin asks. */
  readonly #retired = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #stopped = false;

  constructor(registry: ModelRegistry, options: RepositoryOptions) {
    this.#registry = registry;
    this.#o = options;
  }

  /** The repository directory. */
  get dir(): string {
    return this.#o.dir;
  }

  /** The versions on disk at the last scan. */
  known(): RepositoryVersion[] {
    return [...this.#seen.values()];
  }

  /** Scans once and loads what is new; with `watch`, keeps polling. Resolves after the first scan's loads. */
  async start(): Promise<void> {
    await this.sync();
    if (this.#o.watch && !this.#stopped) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.sync().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops polling (loaded models stay). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** One pass: load new or changed versions, unload removed ones, retire old ones. Never throws. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const log = this.#o.logger;
    let found: RepositoryVersion[];
    try {
      found = await scanRepository(this.#o.dir, this.#o.stage);
    } catch (err) {
      log?.error({ err, dir: this.#o.dir }, "repository scan failed");
      return;
    }
    const onDisk = new Set(found.map((v) => key(v.name, v.version)));
    // Load new versions one at a time, oldest first, so the newest becomes the default last.
    for (const v of found) {
      const k = key(v.name, v.version);
      const prev = this.#seen.get(k);
      const current = this.#registry.get(v.name, v.version);
      if (prev && prev.mtimeMs === v.mtimeMs && (current || this.#retired.has(k))) continue;
      this.#retired.delete(k);
      if (current && current.state !== "failed") {
        this.#seen.set(k, v);
        continue;
      }
      this.#seen.set(k, v);
      const started = Date.now();
      const res = await this.load(v);
      if (res.state === "ready" || res.state === "unloaded") {
        log?.info({ model: v.name, version: v.version, ms: Date.now() - started }, "version loaded");
      } else {
        log?.error(
          { model: v.name, version: v.version, error: res.error },
          "version failed to load; it receives no traffic",
        );
      }
    }
    // Versions whose folder disappeared are drained and unloaded.
    for (const [k, v] of this.#seen) {
      if (onDisk.has(k)) continue;
      this.#seen.delete(k);
      if (this.#registry.get(v.name, v.version)) {
        log?.info({ model: v.name, version: v.version }, "version removed from the repository; unloading");
        await this.#unload(v.name, v.version);
      }
    }
    await this.#retire();
  }

  /** Loads one repository version into the registry (also for the admin API); never throws for a failed load. */
  async load(v: RepositoryVersion): Promise<import("./model-registry.ts").ModelVersion> {
    this.#retired.delete(key(v.name, v.version));
    let meta: Record<string, unknown> = {};
    if (this.#o.lazy) {
      return this.#registry.registerLazy(v.name, v.version, {
        source: v.path,
        meta: { path: v.path, ...(v.stage ? { stage: v.stage } : {}) },
        load: async () => {
          const res = await loadRepositoryVersion(v);
          meta = res.meta;
          return res.model;
        },
        annotate: () => meta,
      });
    }
    return this.#registry.load(
      v.name,
      v.version,
      async () => {
        const res = await loadRepositoryVersion(v);
        meta = res.meta;
        return res.model;
      },
      v.path,
      { meta: { path: v.path, ...(v.stage ? { stage: v.stage } : {}) }, annotate: () => meta },
    );
  }

  /** Finds a version on disk by name and version (rescanning), for the admin API. */
  async find(name: string, version: string): Promise<RepositoryVersion | undefined> {
    const found = await scanRepository(this.#o.dir, this.#o.stage);
    return found.find((v) => v.name === name && v.version === version);
  }

  async #unload(name: string, version: string): Promise<void> {
    try {
      await this.#registry.unload(name, version, this.#o.drainMs ?? 30_000);
    } catch (err) {
      if (!isModelServeError(err)) this.#o.logger?.error({ err, model: name, version }, "unload failed");
    }
  }

  /** Unloads ready versions beyond `keepVersions` per name, oldest first, keeping routed ones. */
  async #retire(): Promise<void> {
    const keep = this.#o.keepVersions ?? 2;
    for (const name of this.#registry.names()) {
      const protectedVersions = new Set<string>();
      const def = this.#registry.defaultVersion(name);
      if (def) protectedVersions.add(def);
      const pinned = this.#registry.pinned(name);
      if (pinned) protectedVersions.add(pinned);
      for (const arm of this.#registry.split(name) ?? []) protectedVersions.add(arm.version);
      const shadow = this.#registry.shadow(name);
      if (shadow) protectedVersions.add(shadow);
      // Lazy repositories are bounded by the memory budget instead.
      if (this.#o.lazy) continue;
      const ready = this.#registry.entries(name).filter((v) => v.state === "ready");
      const excess = ready.length - Math.max(keep, 1);
      if (excess <= 0) continue;
      const candidates = ready.filter((v) => !protectedVersions.has(v.version)).slice(0, excess);
      for (const v of candidates) this.#retired.add(key(name, v.version));
      await Promise.all(candidates.map((v) => this.#unload(name, v.version)));
    }
  }
}
