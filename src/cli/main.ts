/**
 * @module The `modelserve` command line: `serve`, `inspect`, `predict`. Failures print one line on
 * stderr (`modelserve: <message> [<code>]`) and exit non-zero.
 */

import cluster from "node:cluster";
import { Command, InvalidArgumentError, Option } from "commander";
import { resolveWorkers } from "../cluster/cpus.ts";
import { runPrimary } from "../cluster/primary.ts";
import { isReplacement, WorkerLink, workerIndex, workerListenOptions } from "../cluster/worker.ts";
import { loadConfig, parseModelArg } from "../config/config.ts";
import { appFor, loadAll, prepareModels, startModels, storageFor } from "../deploy.ts";
import { isModelServeError } from "../errors.ts";
import { createLogger } from "../observability/logger.ts";
import { ModelRegistry, type ReadyVersion } from "../registry/model-registry.ts";
import { namedRowSchema } from "../schema/json-schema.ts";
import { installShutdown } from "../server/lifecycle.ts";
import { exampleOf } from "../server/openapi-examples.ts";
import { attachGrpc } from "../server/protocols/grpc/attach.ts";
import { PACKAGE_VERSION } from "../version.ts";
import { registerAdminCommand } from "./admin-command.ts";
import { BATCH_FORMATS, type BatchFormat } from "./batch-io.ts";
import { type OnError, scoreFile, summaryLine } from "./batch-predict.ts";
import { registerBenchCommand } from "./bench-command.ts";
import { registerClientCommand } from "./client-command.ts";
import { addConfigOptions, configLayerFromOptions } from "./config-options.ts";
import { registerDockerCommand } from "./docker-command.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerKeysCommand } from "./keys-command.ts";
import { kserveArgs } from "./kserve-args.ts";
import { registerLifecycleCommands } from "./lifecycle-commands.ts";
import { describeExample, describeSignature, serveBanner } from "./text.ts";
import { capYoungGeneration } from "./young-generation.ts";

const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return v;
};

/** Loads one model for offline commands, named like `serve` would name it. */
async function loadOne(path: string, runtime?: string): Promise<ReadyVersion> {
  const entry = { ...parseModelArg(path), ...(runtime ? { runtime } : {}) };
  const [p] = await prepareModels([entry]);
  const registry = new ModelRegistry();
  await loadAll(registry, [p]);
  return registry.resolve(p.name, p.version);
}

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
  // Resolve every file (downloading remote ones) before listening: a wrong path or format fails at once.
  const pending = await prepareModels(config.models, storage);
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
    await startModels(app, config, pending);
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

async function inspect(
  path: string,
  opts: { json?: boolean; runtime?: string; audit?: boolean },
): Promise<void> {
  if (opts.audit) {
    // The pickle reader only for this command: `serve` of a non-pickle model never loads it.
    const { auditFile } = await import("./audit.ts");
    process.stdout.write(await auditFile(path, opts.json === true));
    return;
  }
  const v = await loadOne(path, opts.runtime);
  if (opts.json) {
    const m = v.model;
    process.stdout.write(
      `${JSON.stringify({ name: v.name, version: v.version, signature: m.signature, info: m.info, jsonSchema: namedRowSchema(m.signature), example: await exampleOf(v) }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(describeSignature(v) + describeExample(await exampleOf(v)));
}

async function predict(path: string, opts: Record<string, unknown>) {
  const v = await loadOne(path, opts.runtime as string | undefined);
  const onError = (opts.onError as OnError | undefined) ?? "report";
  const summary = await scoreFile(v, {
    input: opts.input as string,
    output: opts.output as string | undefined,
    inputFormat: opts.inputFormat as BatchFormat | undefined,
    outputFormat: opts.outputFormat as BatchFormat | undefined,
    proba: opts.proba === true,
    explain: opts.explain === true,
    idColumn: opts.idColumn as string | undefined,
    keepColumns: (opts.keepColumns as string | undefined)?.split(",").filter(Boolean),
    onError,
    errorsFile: opts.errors as string | undefined,
    batchSize: Number(opts.batchSize),
  });
  process.stderr.write(summaryLine(summary, onError));
  if (summary.exitCode !== 0) process.exitCode = summary.exitCode;
}

/** Builds the command tree. */
export function buildCli(): Command {
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

  program
    .command("inspect")
    .description("print a model's signature (inputs, outputs, capabilities, info)")
    .argument("<model>", "model file")
    .option("--json", "print JSON (signature, info and the row JSON Schema)")
    .option(
      "--audit",
      "list the classes a pickle references and any outside the allow-list, without building the model",
    )
    .option("--runtime <name>", "runtime to use instead of detection")
    .action(inspect);

  program
    .command("predict")
    .description("score a file of rows offline with the server's validation; bad rows never stop the run")
    .argument("<model>", "model file")
    .requiredOption(
      "-i, --input <file>",
      "rows: .json, .jsonl, .csv (with a header), .parquet, .arrow; - reads stdin",
    )
    .option(
      "-o, --output <file>",
      "results: .json, .jsonl, .csv, .parquet, .arrow; - (default) writes stdout",
    )
    .addOption(
      new Option("--input-format <format>", "input format (default: extension, or sniffed)").choices(
        BATCH_FORMATS,
      ),
    )
    .addOption(
      new Option("--output-format <format>", "output format (default: extension; JSON on stdout)").choices(
        BATCH_FORMATS,
      ),
    )
    .option("--proba", "include class probabilities")
    .option("--explain", "include each feature's TreeSHAP contribution (tree models)")
    .option(
      "--id-column <name>",
      "input column copied to the output (and to the errors file) as each row's id",
    )
    .option("--keep-columns <list>", "comma-separated input columns copied to the output")
    .addOption(
      new Option("--on-error <mode>", "a bad row: report it to the errors file, skip it, or fail the run")
        .choices(["report", "skip", "fail"])
        .default("report"),
    )
    .option("--errors <file>", "errors file of --on-error report (JSON Lines; default <output>.errors.jsonl)")
    .option("--runtime <name>", "runtime to use instead of detection")
    .option("--batch-size <rows>", "rows per inference call", int("batch size"), "10000")
    .action(predict);
  registerKeysCommand(program);
  registerLifecycleCommands(program);
  registerAdminCommand(program);
  registerBenchCommand(program);
  registerDockerCommand(program);
  registerDoctorCommand(program);
  registerClientCommand(program);
  return program;
}

/** Runs the CLI; failures become one stderr line and exit code 1 (2 for usage and config errors). */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    // KServe starts runtimes with --model_name/--model_dir: rewritten into serve's own arguments.
    await buildCli().parseAsync(kserveArgs(argv));
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
