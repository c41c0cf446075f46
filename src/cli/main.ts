/**
 * @module The `modelserve` command line: `serve` here, every other command in offline-commands.ts,
 * imported only when the command is not `serve` (a server starts without their modules). Failures
 * print one line on stderr (`modelserve: <message> [<code>]`) and exit non-zero.
 */

import cluster from "node:cluster";
import { Command } from "commander";
import { resolveWorkers } from "../cluster/cpus.ts";
import { isReplacement, WorkerLink, workerIndex, workerListenOptions } from "../cluster/worker.ts";
import { loadConfig } from "../config/config.ts";
import { isModelServeError } from "../errors.ts";
import { createLogger } from "../observability/logger.ts";
import { applyLoadLimits, prepareModels, startLoads, storageFor } from "../startup-models.ts";
import { holdTickShape } from "../util/tick-shape.ts";
import { PACKAGE_VERSION } from "../version.ts";
import { addConfigOptions, configLayerFromOptions } from "./config-options.ts";
import { kserveArgs } from "./kserve-args.ts";
import { serveBanner } from "./text.ts";
import { capYoungGeneration } from "./young-generation.ts";

async function serve(models: string[], opts: Record<string, unknown>): Promise<void> {
  const cli = { ...configLayerFromOptions(opts), models: models.length > 0 ? models : undefined };
  const config = loadConfig({ file: opts.config as string | undefined, cli });
  if (config.models.length === 0 && !config.repository) {
    throw new Error(
      "no model given: pass a model file (modelserve serve model.joblib), --repository DIR, or set MODELSERVE_MODELS",
    );
  }
  capYoungGeneration(config.youngGenerationMb);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const workers = resolveWorkers(config.workers);
  const index = workerIndex();
  if (workers > 1 && index === undefined && cluster.isPrimary) {
    // The primary loads no model: it forks the workers and keeps them in step (src/cluster/).
    const { runPrimary } = await import("../cluster/primary.ts");
    await runPrimary({
      workers,
      host: config.host,
      port: config.port,
      logger,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      drainDelayMs: config.drainDelayMs,
    });
    return;
  }
  const storage = storageFor(config, logger);
  const { inlineStartupBytes } = applyLoadLimits(config);
  // Resolve every file (downloading remote ones) before listening: a wrong path or format fails at once.
  // The loads start now: their loader workers read the files while this thread imports the server's
  // modules (Fastify, the routes, the registry: most of the start's import time) and builds the app.
  // With no CPU to spare for a loader worker, small files are read on this thread instead.
  const pending = startLoads(await prepareModels(config.models, storage), inlineStartupBytes);
  const [{ appFor, startModels }, { ModelRegistry }, { closeGracefully, installShutdown }, { attachGrpc }] =
    await Promise.all([
      import("../deploy.ts"),
      import("../registry/model-registry.ts"),
      import("../server/lifecycle.ts"),
      import("../server/protocols/grpc/attach.ts"),
    ]);
  const registry = new ModelRegistry();
  const app = appFor(registry, config, logger, storage);
  const link = index === undefined ? undefined : new WorkerLink(app, index);
  app.context.cluster = link;
  // Workers share the mirror of a remote repository: one syncs it at a time.
  if (link && app.context.remote)
    app.context.remote.serialize = (sync) => link.exclusive("remote-mirror", sync);
  installShutdown(app, { timeoutMs: config.shutdownTimeoutMs, drainDelayMs: config.drainDelayMs });
  if (config.grpcPort !== undefined)
    await attachGrpc(app, { host: config.host, port: config.grpcPort, logger });
  const listen = link
    ? workerListenOptions(config.host, config.port)
    : { host: config.host, port: config.port };
  if (link && isReplacement()) {
    // A worker replacing one that died takes no request before it has its models and the changes
    // the others applied since the start.
    await startModels(app, config, pending);
    await link.join();
    await app.fastify.listen(listen);
  } else {
    await app.fastify.listen(listen);
    try {
      await startModels(app, config, pending);
    } catch (err) {
      // A start that failed must not leave a server listening without its models (never ready, yet
      // alive): what started stops, and the error ends the process.
      app.context.remote?.stop();
      app.context.repository?.stop();
      await closeGracefully(app, config.shutdownTimeoutMs);
      throw err;
    }
    await link?.join();
  }
  const addr = app.fastify.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `${config.tlsCert ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const banner = serveBanner(url, registry, config.docs);
  if (link) link.ready(url, banner);
  else process.stderr.write(banner);
  logger.info({ port, models: registry.names(), ...(link ? { worker: link.index } : {}) }, "ready");
}

/**
 * Builds the command tree: every command, or with `serveOnly` just `serve` (its options and help are
 * the same; the other commands' modules are not imported).
 */
export async function buildCli(options: { readonly serveOnly?: boolean } = {}): Promise<Command> {
  const program = new Command("modelserve")
    .description("Serve scikit-learn, XGBoost, LightGBM, ONNX and TypeScript models over HTTP")
    .version(PACKAGE_VERSION)
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  const serveCommand = program
    .command("serve")
    .description("serve models over HTTP (path, or name=path, or name@version=path)")
    .argument("[models...]", "model files")
    .option("--config <file>", "JSON config file");
  addConfigOptions(serveCommand).action(serve);
  if (options.serveOnly !== true) (await import("./offline-commands.ts")).registerOfflineCommands(program);

  return program;
}

/** Runs the CLI; failures become one stderr line and exit code 1 (2 for usage and config errors). */
export async function main(argv: readonly string[]): Promise<void> {
  // Before any model is read: the full collections of a start would otherwise leave every
  // process.nextTick on V8's slow path (util/tick-shape.ts).
  holdTickShape();
  try {
    // KServe starts runtimes with --model_name/--model_dir: rewritten into serve's own arguments.
    const args = kserveArgs(argv);
    await (await buildCli({ serveOnly: args[2] === "serve" })).parseAsync(args);
  } catch (err) {
    const msg = isModelServeError(err)
      ? `${err.message} [${err.code}]`
      : err instanceof Error
        ? err.message
        : String(err);
    process.stderr.write(`modelserve: ${msg}\n`);
    process.exitCode = isModelServeError(err) && err.code === "MS_INVALID_CONFIG" ? 2 : 1;
    // A worker keeps its channel to the primary open: leave explicitly so the primary sees the failure.
    if (cluster.isWorker) process.exit();
  }
}
