/**
 * @module Routing of one model name: which version its default route serves (a pinned version, else
 * the newest servable one), the history of defaults for rollback, traffic splits by weight (sticky per
 * routing key) and the shadow version. Pure state over the name's versions; the registry calls
 * {@link NameRoutes.update} after every change.
 */

import { Errors } from "../errors.ts";
import type { ModelVersion } from "../inference/version.ts";
import { checkName } from "../util/names.ts";
import { compareVersions } from "./version-order.ts";

/** One arm of a traffic split. */
export interface SplitArm {
  readonly version: string;
  readonly weight: number;
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

/** Defaults remembered per name for rollback. */
const HISTORY = 20;

/** Routing state of one name. */
export class NameRoutes {
  /** A version pinned as the default (admin, rollback). */
  pinned: string | undefined;
  /** The effective default, recomputed on every change (the hot path only reads it). */
  current: string | undefined;
  /** Earlier defaults, most recent last. */
  readonly history: string[] = [];
  split: { readonly arms: readonly SplitArm[]; readonly total: number } | undefined;
  shadow: string | undefined;

  /** Recomputes the default after a change of `versions`, remembering the one it replaces. */
  update(versions: ReadonlyMap<string, ModelVersion>, allow?: (version: string) => boolean): void {
    const next = this.#computeDefault(versions, allow);
    if (
      this.current !== undefined &&
      next !== this.current &&
      versions.get(this.current)?.state === "ready"
    ) {
      this.history.push(this.current);
      if (this.history.length > HISTORY) this.history.shift();
    }
    this.current = next;
  }

  #computeDefault(
    versions: ReadonlyMap<string, ModelVersion>,
    allow?: (version: string) => boolean,
  ): string | undefined {
    if (this.pinned && versions.has(this.pinned)) return this.pinned;
    const labels = [...versions.keys()].sort(compareVersions);
    // Unloaded (lazy) versions count as servable: they load on first use.
    const servable = labels.filter((v) => {
      const st = versions.get(v)!.state;
      return st === "ready" || st === "unloaded";
    });
    // A promotion gate (several workers) holds back versions not every worker has yet.
    const admitted = allow ? servable.filter(allow) : servable;
    return (admitted.length > 0 ? admitted : servable.length > 0 ? servable : labels).at(-1);
  }

  /** The version the default route serves: a split arm (by routing key hash, else at random) or the default. */
  choose(routingKey?: string): string | undefined {
    const split = this.split;
    if (!split) return this.current;
    let point =
      routingKey === undefined ? Math.random() * split.total : (hashKey(routingKey) / 2 ** 32) * split.total;
    for (const arm of split.arms) {
      point -= arm.weight;
      if (point < 0) return arm.version;
    }
    return split.arms.at(-1)!.version;
  }

  /** Sets or clears (undefined, empty) the split; weights must be ≥ 0 with a positive total. */
  setSplit(name: string, arms: readonly SplitArm[] | undefined): void {
    if (!arms || arms.length === 0) {
      this.split = undefined;
      return;
    }
    for (const a of arms) {
      checkName("version", a.version);
      if (!(a.weight >= 0) || !Number.isFinite(a.weight))
        throw Errors.invalidConfig(`split weight of ${name}@${a.version} must be ≥ 0`);
    }
    const total = arms.reduce((s, a) => s + a.weight, 0);
    if (total <= 0) throw Errors.invalidConfig(`split of ${name} needs a positive total weight`);
    this.split = { arms: [...arms], total };
  }

  /**
   * The previous default that is still ready, pinned; undefined when there is none. The caller
   * recomputes (`update`) and then calls {@link forgetRollbackStep}.
   */
  rollbackTarget(versions: ReadonlyMap<string, ModelVersion>): string | undefined {
    while (this.history.length > 0) {
      const prev = this.history.pop()!;
      if (prev !== this.current && versions.get(prev)?.state === "ready") {
        this.pinned = prev;
        return prev;
      }
    }
    return undefined;
  }

  /** Rolling back is not itself a step to roll back to. */
  forgetRollbackStep(before: string | undefined): void {
    if (this.history.at(-1) === before) this.history.pop();
  }
}
