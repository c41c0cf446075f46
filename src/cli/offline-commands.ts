/**
 * @module The commands besides `serve`: `inspect`, `predict` (offline scoring) and the command groups
 * (keys, lifecycle, admin, bench, docker, doctor, client). `modelserve serve` never imports this
 * module: what these commands need (CSV and Parquet readers, bundle writers, the client generator,
 * TreeSHAP for `predict --explain`) is no part of serving.
 */

import { type Command, InvalidArgumentError, Option } from "commander";
import { parseModelArg } from "../config/config.ts";
import { loadAll, prepareModels } from "../deploy.ts";
import { ModelRegistry, type ReadyVersion } from "../registry/model-registry.ts";
import { namedRowSchema } from "../schema/json-schema.ts";
import { exampleOf } from "../server/openapi-examples.ts";
import { registerAdminCommand } from "./admin-command.ts";
import { BATCH_FORMATS, type BatchFormat } from "./batch-io.ts";
import { type OnError, scoreFile, summaryLine } from "./batch-predict.ts";
import { registerBenchCommand } from "./bench-command.ts";
import { registerClientCommand } from "./client-command.ts";
import { registerDockerCommand } from "./docker-command.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerKeysCommand } from "./keys-command.ts";
import { registerLifecycleCommands } from "./lifecycle-commands.ts";
import { describeExample, describeSignature } from "./text.ts";

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

/** Adds every command but `serve` to `program`. */
export function registerOfflineCommands(program: Command): void {
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
}
