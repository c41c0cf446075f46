/**
 * @module What an app needs from the other worker processes when it is one of several (`--workers`):
 * admin changes applied by every worker together, `/metrics` and `/stats` gathered from all of them,
 * and counters (rate limits, failed authentications) shared by all. A single process has none of this;
 * `src/cluster/` provides it over the cluster's IPC channel.
 */

/** A change of serving state that every worker applies, in the same order. */
export type ClusterAction =
  /** Load a repository version (it takes traffic only once every worker has it: see `approve`). */
  | { readonly kind: "load"; readonly name: string; readonly version: string }
  | { readonly kind: "unload"; readonly name: string; readonly version: string }
  /** Pin the default version (null: the newest). */
  | { readonly kind: "default"; readonly name: string; readonly version: string | null }
  | { readonly kind: "rollback"; readonly name: string }
  | {
      readonly kind: "split";
      readonly name: string;
      readonly arms: readonly { readonly version: string; readonly weight: number }[] | null;
    }
  | { readonly kind: "shadow"; readonly name: string; readonly version: string | null }
  /** A version every worker has ready may become the default. */
  | { readonly kind: "approve"; readonly name: string; readonly version: string };

/** The answer of a fixed-window counter hit (rate limits, failed authentications). */
export interface HitResult {
  /** Hits in the current window, this one included. */
  readonly current: number;
  /** Milliseconds until the window resets. */
  readonly ttl: number;
}

/** The cluster as one worker's app sees it. */
export interface ClusterHooks {
  /** This worker's index (1-based). */
  readonly index: number;
  /** Applies a change on every worker; resolves with this worker's result once all applied. */
  run(action: ClusterAction): Promise<unknown>;
  /** The Prometheus text of every worker, merged. */
  metrics(): Promise<string>;
  /** The `/stats` document of every worker, merged. */
  stats(): Promise<Record<string, unknown>>;
  /** Counts one hit of `key` in a fixed window shared by every worker. */
  hit(key: string, windowMs: number): Promise<HitResult>;
}
