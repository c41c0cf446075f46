/**
 * @module The registry's storage: versions by name and label, each name with its routing state, a
 * generation counter and change listeners. Queries live here; the state machine that moves versions
 * between states is {@link ModelRegistry}.
 */

import { Errors } from "../errors.ts";
import type { InferenceMode, ModelPlacer } from "../inference/pool/placement.ts";
import type { ModelVersion } from "../inference/version.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import type { PromotionGate } from "./promotion-gate.ts";
import { NameRoutes, type SplitArm } from "./routing.ts";
import { compareVersions } from "./version-order.ts";

/** One model name: its versions and routing. */
export interface NameEntry {
  readonly versions: Map<string, ModelVersion>;
  readonly routes: NameRoutes;
}

/** Options of `ModelRegistry.load`. */
export interface LoadOptions {
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Runs on the loaded model before it becomes ready (golden samples, warm-up); a throw fails it. */
  readonly check?: (m: LoadedModel) => Promise<void>;
  /** More facts known only after loading, merged into `meta`. */
  readonly annotate?: () => Readonly<Record<string, unknown>>;
  /** Where this version's calls run (a model entry's `inference`); the placer's default otherwise. */
  readonly inference?: InferenceMode;
}

/** Versions by name, with change notification. */
export class VersionStore {
  /** Entries by name, in registration order. */
  protected readonly byName = new Map<string, NameEntry>();
  readonly #listeners = new Set<() => void>();
  #generation = 0;
  /** When set, a newly ready version becomes the automatic default only once the gate allows it. */
  gate: PromotionGate | undefined;
  /** Places each loaded model inline or on the inference pool; unset: every model inline. */
  placer: ModelPlacer | undefined;

  /** Increments on every change; caches (OpenAPI) compare it. */
  get generation(): number {
    return this.#generation;
  }

  /** Calls `fn` after every change; returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Recomputes every name's routing, then tells the listeners. */
  changed(): void {
    const gate = this.gate;
    for (const [name, entry] of this.byName)
      entry.routes.update(entry.versions, gate && ((v: string) => gate.allows(name, v)));
    this.#generation++;
    for (const fn of this.#listeners) fn();
  }

  /** The entry of a name; `MS_MODEL_NOT_FOUND` when there is none. */
  protected entry(name: string): NameEntry {
    const entry = this.byName.get(name);
    if (!entry) throw Errors.modelNotFound(name, this.names());
    return entry;
  }

  /** Stores a version (creating its name) and signals the change. */
  protected put(v: ModelVersion): void {
    let entry = this.byName.get(v.name);
    if (!entry) {
      entry = { versions: new Map(), routes: new NameRoutes() };
      this.byName.set(v.name, entry);
    }
    entry.versions.set(v.version, v);
    this.changed();
  }

  /** Model names in registration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Version labels of a name, oldest first. */
  versions(name: string): string[] {
    return [...(this.byName.get(name)?.versions.keys() ?? [])].sort(compareVersions);
  }

  /** Every version of a name (all states), oldest first. */
  entries(name: string): ModelVersion[] {
    const entry = this.byName.get(name);
    return entry ? this.versions(name).map((v) => entry.versions.get(v)!) : [];
  }

  /** Every version of every model. */
  all(): ModelVersion[] {
    return this.names().flatMap((n) => this.entries(n));
  }

  /** One version (any state), or undefined. */
  get(name: string, version: string): ModelVersion | undefined {
    return this.byName.get(name)?.versions.get(version);
  }

  /** Whether no version is still loading and at least one is ready (startup readiness). */
  allReady(): boolean {
    const all = this.all();
    return (
      all.some((v) => v.state === "ready" || v.state === "unloaded") &&
      all.every((v) => v.state !== "loading" || v.loader !== undefined)
    );
  }

  /** The pinned default version of a name, if any. */
  pinned(name: string): string | undefined {
    return this.byName.get(name)?.routes.pinned;
  }

  /** Earlier defaults of a name, oldest first. */
  history(name: string): readonly string[] {
    return this.byName.get(name)?.routes.history ?? [];
  }

  /** The default version label of a name: the pinned one, else the newest ready, else the newest. */
  defaultVersion(name: string): string | undefined {
    return this.byName.get(name)?.routes.current;
  }

  /** The split of a name, if any. */
  split(name: string): readonly SplitArm[] | undefined {
    return this.byName.get(name)?.routes.split?.arms;
  }

  /** The shadow version of a name, if any. */
  shadow(name: string): string | undefined {
    return this.byName.get(name)?.routes.shadow;
  }

  /**
   * The model a loaded version serves (placed by {@link placer}) and its meta: the load's, the facts
   * known after loading, and where its calls run (`inference`).
   */
  protected async place(
    model: LoadedModel,
    name: string,
    version: string,
    options: LoadOptions,
  ): Promise<{ model: LoadedModel; meta: Readonly<Record<string, unknown>> }> {
    const meta = { ...options.meta, ...options.annotate?.() };
    const placed = await this.placer?.(model, { name, version, mode: options.inference });
    return placed ? { model: placed.model, meta: { ...meta, inference: placed.facts } } : { model, meta };
  }
}
