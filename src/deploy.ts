/**
 * @module `deploy`: one call from a model (file path, `defineModel` result or loaded model) to a
 * listening, documented prediction service.
 */

import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { resolveWorkers, usableCpus } from "./cluster/cpus.ts";
import {
  type Config,
  type ConfigLayer,
  checkedModelEntry,
  loadConfig,
  parseShadow,
  parseSplit,
} from "./config/config.ts";
import { Errors } from "./errors.ts";
import { InferencePool } from "./inference/pool/inference-pool.ts";
import { placeModel } from "./inference/pool/placement.ts";
import { createLogger, libraryLogger, type PinoCompatibleLogger } from "./observability/logger.ts";
import { ModelRegistry } from "./registry/model-registry.ts";
import { RepositoryWatcher } from "./registry/repository-watcher.ts";
import { type App, buildApp } from "./server/app.ts";
import { closeGracefully, installShutdown } from "./server/lifecycle.ts";
import { attachGrpc } from "./server/protocols/grpc/attach.ts";
import {
  applyLoadLimits,
  type Deployable,
  type Pending,
  prepareModels,
  storageFor,
} from "./startup-models.ts";
import { RemotePoller } from "./storage/remote-poller.ts";
import { isRemote } from "./storage/source.ts";
import type { Storage } from "./storage/storage.ts";
import { holdTickShape } from "./util/tick-shape.ts";

export {
  applyLoadLimits,
  type Deployable,
  defaultModelName,
  type Pending,
  prepareModels,
  startLoads,
  storageFor,
} from "./startup-models.ts";

/** Options of {@link deploy}: any configuration key (they win over file and environment), plus a logger. */
export interface DeployOptions extends Partial<Omit<Config, "models">> {
  /**
   * Any pino-compatible logger. Without one, `deploy` is quiet (like a library) unless `logLevel`, a
   * config file or `MODELSERVE_LOG_LEVEL` asks for logs.
   */
  readonly logger?: PinoCompatibleLogger;
  /** Handle SIGTERM/SIGINT with a graceful shutdown and `process.exit` (default false for library use). */
  readonly handleSignals?: boolean;
  /** A JSON config file. */
  readonly configFile?: string;
  /** Environment to read `MODELSERVE_*` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A running service. */
export interface Deployment {
  /** Port of the Open Inference Protocol gRPC service, when `grpcPort` was set. */
  readonly grpcPort?: number;
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** The Fastify instance (listening). */
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  /** Graceful close: readiness 503, in-flight requests finish, models close. */
  close(): Promise<void>;
}

/** Loads prepared models into the registry; throws the first failure (startup must not half-start). */
export async function loadAll(registry: ModelRegistry, pending: readonly Pending[]): Promise<void> {
  const results = await Promise.all(
    pending.map((p) =>
      registry.load(p.name, p.version, p.load, p.source, p.inference ? { inference: p.inference } : {}),
    ),
  );
  const failed = results.find((r) => r.state === "failed");
  if (failed) {
    throw Errors.modelLoadFailed(failed.name, failed.version, failed.error?.message ?? "unknown error");
  }
}

/** Threads of the inference pool: the key's count, or for `auto` the usable CPUs shared by the workers. */
export function inferenceThreads(config: Pick<Config, "inferenceThreads" | "workers">): number {
  if (config.inferenceThreads !== "auto") return config.inferenceThreads;
  return Math.max(1, Math.floor(usableCpus() / resolveWorkers(config.workers)));
}

/** Builds the app for a config and registry, with the configured logger, repository and remote sources. */
export function appFor(registry: ModelRegistry, config: Config, logger?: Logger, storage?: Storage): App {
  const cpus = applyLoadLimits(config);
  const log = logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const app = buildApp(registry, { ...config, logger: log });
  const pool = new InferencePool(inferenceThreads(config), {
    nice: config.inferenceThreadNice,
    idleMs: config.inferenceThreadIdleMs,
  });
  registry.placer = (model, at) =>
    placeModel(model, pool, {
      name: at.name,
      version: at.version,
      mode: at.mode ?? config.inference,
      maxBatchRows: config.maxBatchSize,
      cpus,
    });
  app.context.pool = pool;
  // After the routes drained and the registry closed its models (threads are started only when used).
  app.fastify.addHook("onClose", async () => pool.close());
  registry.memoryBudgetBytes = config.memoryBudgetMb * 1024 * 1024;
  if (storage) app.context.storage = storage.status;
  if (config.repository) {
    const remote = isRemote(config.repository) ? storage!.repository(config.repository) : undefined;
    if (remote)
      app.context.remote = new RemotePoller(remote, config.watch ? config.remoteWatchIntervalMs : 0);
    app.context.repository = new RepositoryWatcher(registry, {
      dir: remote ? remote.dir : config.repository,
      stage: config.stage,
      watch: config.watch,
      intervalMs: config.watchIntervalMs,
      keepVersions: config.keepVersions,
      lazy: config.lazy,
      logger: log,
    });
  }
  return app;
}

/**
 * Loads the startup models and the repository's versions, then applies the default model, splits and
 * shadows. A startup model that fails stops the start; repository versions that fail are recorded.
 */
export async function startModels(app: App, config: Config, pending: readonly Pending[]): Promise<void> {
  const { registry } = app.context;
  // A model entry's own micro-batching settings apply to every version of its model, from the first
  // request: two entries of one model (two versions) may not set different ones.
  const own = new Map<string, string>();
  for (const p of pending) {
    if (!p.batching) continue;
    const text = JSON.stringify(p.batching);
    const before = own.get(p.name);
    if (before !== undefined && before !== text)
      throw Errors.invalidConfig(
        `model ${p.name} has two entries with different micro-batching settings (${before} and ${text}); they apply to every version of a model`,
      );
    own.set(p.name, text);
    app.context.batcher.configure(p.name, p.batching);
  }
  await loadAll(registry, pending);
  // A remote repository is mirrored before its versions load; a watched one keeps polling.
  await app.context.remote?.start();
  await app.context.repository?.start();
  if (registry.names().length === 0) {
    throw Errors.invalidConfig(`no model to serve${config.repository ? ` in ${config.repository}` : ""}`);
  }
  if (config.defaultModel) registry.setDefaultModel(config.defaultModel);
  if (config.split) for (const [name, arms] of parseSplit(config.split)) registry.setSplit(name, arms);
  if (config.shadow)
    for (const [name, version] of parseShadow(config.shadow)) registry.setShadow(name, version);
}

/**
 * Serves one or more models over HTTP.
 *
 * @example
 * const { url, close } = await deploy("model.joblib", { port: 8000 });
 * // POST `${url}/predict` with {"features": [...]}
 * await close();
 */
export async function deploy(
  model: Deployable | readonly Deployable[],
  options: DeployOptions = {},
): Promise<Deployment> {
  const { logger, handleSignals, configFile, env, ...rest } = options;
  holdTickShape(); // before the models are read (util/tick-shape.ts)
  const config = loadConfig({ file: configFile, env, code: rest as ConfigLayer });
  const items = Array.isArray(model) ? (model as readonly Deployable[]) : [model as Deployable];
  const log =
    libraryLogger(logger, options, env ?? process.env) ??
    createLogger({ level: config.logLevel, format: config.logFormat });
  // Worker processes are forked by `modelserve serve`; a library call serves from its own process.
  if (config.workers !== 1)
    log.warn(
      { workers: config.workers },
      "workers applies to `modelserve serve`; deploy() serves from this process (run node:cluster around it for more)",
    );
  const storage = storageFor(config, log);
  // Model entries given here are checked as a config file's are.
  const checked = items.map((m) =>
    typeof m === "object" && m !== null && "path" in m ? checkedModelEntry(m, "deploy()") : m,
  );
  const pending = await prepareModels([...checked, ...config.models], storage);
  const registry = new ModelRegistry();
  const app = appFor(registry, config, log, storage);
  try {
    await startModels(app, config, pending);
  } catch (err) {
    app.context.remote?.stop();
    app.context.repository?.stop();
    await registry.close();
    throw err;
  }
  // The gRPC service (off unless grpcPort is set) closes with the app.
  const grpc =
    config.grpcPort === undefined
      ? undefined
      : await attachGrpc(app, { host: config.host, port: config.grpcPort, logger: log });
  await app.fastify.listen({ host: config.host, port: config.port });
  const addr = app.fastify.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const remove = handleSignals
    ? installShutdown(app, { timeoutMs: config.shutdownTimeoutMs, drainDelayMs: config.drainDelayMs })
    : () => undefined;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    app: app.fastify,
    registry,
    ...(grpc ? { grpcPort: grpc.port } : {}),
    async close() {
      remove();
      app.context.remote?.stop();
      app.context.repository?.stop();
      await closeGracefully(app, config.shutdownTimeoutMs, config.drainDelayMs);
    },
  };
}
