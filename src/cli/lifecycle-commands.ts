/** @module CLI commands for the model lifecycle: `bundle`, `check`, `promote`. */

import { basename, join } from "node:path";
import type { Command } from "commander";
import { createBundle } from "../bundle/create-bundle.ts";
import { formatGolden } from "../bundle/golden.ts";
import { openBundle, runGolden } from "../bundle/open-bundle.ts";
import { Errors } from "../errors.ts";
import { promote } from "../registry/repository.ts";
import { loadModel } from "../runtimes/load-model.ts";

const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0`);
  return n;
};

/** Adds `bundle`, `check` and `promote` to the program. */
export function registerLifecycleCommands(program: Command): void {
  program
    .command("bundle")
    .description(
      "pack a model file, golden samples and metadata into a versioned bundle (directory or .tar.gz)",
    )
    .argument("<model>", "model file")
    .requiredOption("--name <name>", "model name")
    .requiredOption("--version <version>", "version label")
    .requiredOption("--out <path>", "output directory, or a .tar.gz file")
    .option("--samples <file>", "golden inputs: a JSON array of rows")
    .option(
      "--expected <file>",
      'what the training environment answered: {"predict": [...], "predict_proba": [[...]]}',
    )
    .option("--metadata <file>", "free-form JSON metadata (metrics, data ranges, owner)")
    .option("--stats <file>", "per-feature training statistics (JSON) for drift checks")
    .option(
      "--reference-data <file>",
      "training rows (.json, .jsonl, .csv): per-feature and prediction statistics for drift checks",
    )
    .option("--runtime <name>", "runtime to use instead of detection")
    .option("--rel <tolerance>", "relative tolerance of the golden check", num("rel"))
    .option("--abs <tolerance>", "absolute tolerance of the golden check", num("abs"))
    .action(async (model: string, o: Record<string, unknown>) => {
      const res = await createBundle(model, {
        name: o.name as string,
        version: o.version as string,
        out: o.out as string,
        samples: o.samples as string | undefined,
        expected: o.expected as string | undefined,
        metadata: o.metadata as string | undefined,
        stats: o.stats as string | undefined,
        referenceData: o.referenceData as string | undefined,
        runtime: o.runtime as string | undefined,
        rel: o.rel as number | undefined,
        abs: o.abs as number | undefined,
      });
      const s = res.manifest.samples;
      process.stdout.write(
        `bundle ${res.manifest.name}@${res.manifest.version} written to ${res.path}\n` +
          `  ${res.manifest.files.length} files, runtime ${res.manifest.runtime}, ${res.manifest.modelType ?? ""}\n` +
          (s
            ? `  golden samples: ${s.source === "training" ? `${res.golden?.compared} outputs match the training environment` : "recorded from this model (no --expected given)"}\n`
            : "  no golden samples (add --samples and --expected to check the model at every load)\n"),
      );
    });

  program
    .command("check")
    .description("verify a bundle offline: checksums, then golden samples with a per-sample diff")
    .argument("<bundle>", "bundle directory or .tar.gz")
    .action(async (path: string) => {
      const bundle = await openBundle(path);
      try {
        const m = bundle.manifest;
        process.stdout.write(`${m.name}@${m.version}: ${m.files.length} files match their sha256 and size\n`);
        const model = await loadModel(join(bundle.root, ...m.model.split("/")), { runtime: m.runtime });
        try {
          const golden = await runGolden(bundle, model);
          if (!golden) {
            process.stdout.write("no golden samples in this bundle\n");
            return;
          }
          process.stdout.write(formatGolden(golden));
          if (golden.diffs.length > 0)
            throw Errors.goldenMismatch(basename(path), golden.compared, golden.diffs);
        } finally {
          await model.close?.();
        }
      } finally {
        await bundle.cleanup();
      }
    });

  program
    .command("promote")
    .description("record the stage of a repository version (serve --stage STAGE serves only that stage)")
    .argument("<repository>", "repository directory")
    .argument("<name>", "model name")
    .argument("<version>", "version label")
    .requiredOption("--stage <stage>", "stage, e.g. staging or production")
    .action(async (dir: string, name: string, version: string, o: { stage: string }) => {
      await promote(dir, name, version, o.stage);
      process.stdout.write(`${name}@${version} is now in stage ${o.stage}\n`);
    });
}
