/**
 * @module The messages between the primary process and its workers (over the `node:cluster` IPC
 * channel). Workers ask (`call`) and the primary answers (`reply`); the primary asks every worker
 * (`apply`, `collect`) and gathers their answers (`applied`, `collected`). Plain JSON-able objects.
 */

import type { ClusterAction } from "../server/cluster-hooks.ts";

export type { ClusterAction } from "../server/cluster-hooks.ts";

/** What a worker asks the primary. */
export type CallOp =
  | { readonly op: "broadcast"; readonly action: ClusterAction }
  | { readonly op: "metrics" }
  | { readonly op: "stats" }
  | { readonly op: "replay" }
  /** Counts each hit in turn; the answer is one `{current, ttl}` per hit, in order. */
  | { readonly op: "hits"; readonly hits: readonly { readonly key: string; readonly windowMs: number }[] }
  /** Waits until this worker holds the cluster-wide lock `key` (released by `unlock` or its death). */
  | { readonly op: "lock"; readonly key: string }
  | { readonly op: "unlock"; readonly key: string };

/** Worker → primary. */
export type WorkerMessage =
  | { readonly t: "ready"; readonly url: string; readonly banner: string }
  | ({ readonly t: "call"; readonly id: number } & CallOp)
  | { readonly t: "candidate"; readonly name: string; readonly version: string }
  | { readonly t: "applied"; readonly id: number; readonly ok: boolean; readonly value?: unknown }
  | { readonly t: "collected"; readonly id: number; readonly value: unknown };

/** Primary → worker. */
export type PrimaryMessage =
  | { readonly t: "reply"; readonly id: number; readonly ok: boolean; readonly value?: unknown }
  | { readonly t: "apply"; readonly id: number; readonly action: ClusterAction; readonly at: number }
  | { readonly t: "collect"; readonly id: number; readonly what: "metrics" | "stats" };

/** An error carried across the channel (a worker's `MS_*` error keeps its code and status). */
export interface WireError {
  readonly code?: string;
  readonly message: string;
  readonly statusCode?: number;
  readonly details?: unknown;
}

/** Environment variable telling a worker its index (1-based) in the cluster. */
export const WORKER_INDEX_ENV = "MODELSERVE_WORKER_INDEX";
/** Environment variable set on a worker that replaces a crashed one (it loads before it listens). */
export const WORKER_REPLACEMENT_ENV = "MODELSERVE_WORKER_REPLACEMENT";
/** Environment variable giving workers the port to bind when `--port 0` asked the primary to pick one. */
export const WORKER_PORT_ENV = "MODELSERVE_WORKER_PORT";
