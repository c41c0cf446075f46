/** @module Per-app state shared by routes and hooks: the registry, options, and lifecycle flags. */

import type { Config } from "../config/keys.ts";
import type { MicroBatcher } from "../inference/micro-batcher.ts";
import type { InferencePool } from "../inference/pool/inference-pool.ts";
import type { AuditLog } from "../observability/audit-log.ts";
import type { BatchingMetrics } from "../observability/batching-metrics.ts";
import type { DriftTracker } from "../observability/drift.ts";
import type { ServiceMetrics } from "../observability/metrics.ts";
import type { ModelRegistry } from "../registry/model-registry.ts";
import type { RepositoryWatcher } from "../registry/repository-watcher.ts";
import type { RemotePoller } from "../storage/remote-poller.ts";
import type { StorageStatus } from "../storage/status.ts";
import type { ClusterHooks } from "./cluster-hooks.ts";
import type { AccessSettings } from "./plugins/access.ts";
import type { ShadowTracker } from "./shadow.ts";

/** What routes read: every configuration key, plus the access settings derived from them. */
export type AppSettings = Config & {
  /** API keys, rate limits and CORS; undefined: all open, no limits. */
  readonly access?: AccessSettings;
};

/** Shared state of one app. */
export interface AppContext {
  readonly registry: ModelRegistry;
  readonly settings: AppSettings;
  /** When the app was built (for uptime). */
  readonly startedAt: number;
  /** The repository being served, if any (the admin API loads from it). */
  repository?: RepositoryWatcher;
  /** Shadow traffic comparisons. */
  readonly shadows: ShadowTracker;
  /** Micro-batching and the bounded queue of each model version: every prediction runs through it. */
  readonly batcher: MicroBatcher;
  /** Rows per model call and queue waits, rendered in `/metrics` with the queue gauges. */
  readonly batching: BatchingMetrics;
  /** Prometheus metrics (`/metrics`), when enabled. */
  metrics?: ServiceMetrics;
  /** The audit (prediction) log, when enabled. */
  audit?: AuditLog;
  /** Drift monitors of versions with training statistics, when enabled. */
  drift?: DriftTracker;
  /** How often drift crossings are checked (and logged), in ms. */
  driftCheckIntervalMs?: number;
  /** The poller of a remote repository's local mirror, if the repository is remote. */
  remote?: RemotePoller;
  /** Conditions of remote sources (S3, HTTPS), when the app serves any. */
  storage?: StorageStatus;
  /** The inference pool (its queue and busy threads in `/metrics`), when the app has one. */
  pool?: InferencePool;
  /** The other worker processes, when this app is one of several (`--workers`). */
  cluster?: ClusterHooks;
  /** True once shutdown began (SIGTERM): readiness answers 503 while requests are still served. */
  draining?: boolean;
  /** True once the listener closed: readiness answers 503, answers carry `Connection: close`. */
  shuttingDown: boolean;
}

/** What a request resolved to, for the request log and response headers. */
export interface RequestModel {
  model?: string;
  version?: string;
  /** Route pattern, recorded by hot routes to spare the request log Fastify's `routeOptions` getter. */
  route?: string;
  /** Model time of a prediction request, for metrics. */
  inferenceMs?: number;
  /** Rows of a prediction request, for metrics. */
  rows?: number;
  /** Predicted labels of a classifier, for metrics. */
  labels?: readonly unknown[];
  /** Predicted values of a regressor, for metrics. */
  values?: readonly unknown[];
  /** What the audit log records of a sampled prediction (set only when the log is on). */
  audit?: {
    readonly rows: readonly unknown[];
    readonly inputNames: readonly string[];
    readonly predictions?: readonly unknown[];
    readonly probabilities?: readonly unknown[];
  };
}

/**
 * Where a request's {@link RequestModel} is kept: a decorated request property rather than a WeakMap,
 * whose per-request entries cost the garbage collector more than the property does.
 */
export interface RequestModels {
  get(req: object): RequestModel | undefined;
  set(req: object, model: RequestModel): void;
}

/** The request property that holds the {@link RequestModel} (declared with `decorateRequest`). */
export const REQUEST_MODEL_PROPERTY = "msRequestModel";

type Tagged = { [REQUEST_MODEL_PROPERTY]?: RequestModel | null };

/** The accessor over {@link REQUEST_MODEL_PROPERTY}. */
export const requestModels: RequestModels = {
  get: (req) => (req as Tagged)[REQUEST_MODEL_PROPERTY] ?? undefined,
  set: (req, model) => {
    (req as Tagged)[REQUEST_MODEL_PROPERTY] = model;
  },
};
