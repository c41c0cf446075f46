/**
 * @module `modelserve bundle`: packs a model file, its golden samples and metadata into a versioned,
 * self-describing bundle (a directory or a `.tar.gz`), checked once before it is written.
 */

import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { Errors } from "../errors.ts";
import { infer } from "../inference/run.ts";
import type { ReadyVersion } from "../inference/version.ts";
import { statsFromRows } from "../observability/drift.ts";
import { loadModel } from "../runtimes/load-model.ts";
import { readRows } from "../schema/rows-file.ts";
import { compileValidator } from "../schema/validator.ts";
import { sha256Hex } from "../util/hash.ts";
import { checkName } from "../util/names.ts";
import { checkGolden, type GoldenExpected, type GoldenResult } from "./golden.ts";
import {
  BUNDLE_FORMAT,
  type BundleFile,
  type BundleManifest,
  type FeatureStats,
  MANIFEST,
} from "./manifest.ts";

/** Options of {@link createBundle}. */
export interface CreateBundleOptions {
  readonly name: string;
  readonly version: string;
  /** Output directory, or a `.tar.gz`/`.tgz` file. */
  readonly out: string;
  /** Rows file (JSON array) of golden inputs. */
  readonly samples?: string;
  /** What the training environment answered for the samples: `{"predict", "predict_proba"?}` or an array. */
  readonly expected?: string;
  /** A JSON object of free-form metadata (metrics, data ranges, owner). */
  readonly metadata?: string;
  /** A JSON object of per-feature training statistics. */
  readonly stats?: string;
  /**
   * Training (or reference) rows — .json, .jsonl or .csv — from which per-feature statistics are
   * computed: decile bins for numbers, shares for categories, and the model's prediction distribution.
   */
  readonly referenceData?: string;
  /** Runtime hint. */
  readonly runtime?: string;
  /** Golden tolerance (default rel 1e-9, abs 1e-12). */
  readonly rel?: number;
  readonly abs?: number;
}

/** What was written. */
export interface CreatedBundle {
  readonly path: string;
  readonly manifest: BundleManifest;
  readonly golden?: GoldenResult;
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw Errors.invalidInputFile(path, `${what}: ${(err as Error).message}`);
  }
}

async function fileEntry(root: string, rel: string): Promise<BundleFile> {
  const bytes = await readFile(join(root, ...rel.split("/")));
  return { path: rel, sha256: sha256Hex(bytes), size: bytes.byteLength };
}

/** Builds a bundle. Refuses to write one whose golden samples the model does not reproduce. */
export async function createBundle(modelFile: string, o: CreateBundleOptions): Promise<CreatedBundle> {
  checkName("name", o.name);
  checkName("version", o.version);
  const model = await loadModel(modelFile, { runtime: o.runtime });
  const stage = await mkdtemp(join(tmpdir(), "modelserve-new-bundle-"));
  try {
    const root = join(stage, `${o.name}-${o.version}`);
    await mkdir(join(root, "model"), { recursive: true });
    const modelRel = `model/${basename(modelFile)}`;
    await copyFile(modelFile, join(root, ...modelRel.split("/")));
    const rels = [modelRel];
    let samples: BundleManifest["samples"];
    let golden: GoldenResult | undefined;
    if (o.samples) {
      const rows = await readJsonFile(o.samples, "samples");
      if (!Array.isArray(rows) || rows.length === 0)
        throw Errors.invalidInputFile(o.samples, "samples must be a non-empty JSON array of rows");
      await mkdir(join(root, "samples"), { recursive: true });
      await writeFile(join(root, "samples", "inputs.json"), `${JSON.stringify(rows)}\n`);
      const rel = o.rel ?? 1e-9;
      const abs = o.abs ?? 1e-12;
      let expected: GoldenExpected;
      let source: "training" | "modelserve";
      if (o.expected) {
        const e = await readJsonFile(o.expected, "expected outputs");
        expected = Array.isArray(e) ? { predict: e } : (e as GoldenExpected);
        source = "training";
        golden = await checkGolden(model, rows, expected, rel, abs);
        if (golden.diffs.length > 0)
          throw Errors.goldenMismatch(basename(modelFile), golden.compared, golden.diffs);
      } else {
        // No reference outputs: record this model's own answers, a guard against later drift of the runtime.
        const validator = compileValidator(model.signature);
        const table = validator.toTable(rows, "samples");
        const v = {
          name: o.name,
          version: o.version,
          state: "ready",
          model,
          validator,
          since: "",
        } as ReadyVersion;
        const out = await infer(v, table, "predict");
        const p = out.probabilities;
        expected = {
          predict: out.predictions,
          ...(p
            ? {
                predict_proba: Array.from({ length: p.rows }, (_, r) =>
                  Array.from(p.data.subarray(r * p.cols, (r + 1) * p.cols)),
                ),
              }
            : {}),
        };
        source = "modelserve";
      }
      await writeFile(join(root, "samples", "expected.json"), `${JSON.stringify(expected)}\n`);
      rels.push("samples/inputs.json", "samples/expected.json");
      samples = { inputs: "samples/inputs.json", expected: "samples/expected.json", rel, abs, source };
    }
    const metadata = o.metadata
      ? ((await readJsonFile(o.metadata, "metadata")) as Record<string, unknown>)
      : undefined;
    let trainingStats = o.stats
      ? ((await readJsonFile(o.stats, "training statistics")) as Record<string, FeatureStats>)
      : undefined;
    if (o.referenceData) {
      const rows = await readRows(o.referenceData, model.signature.inputs);
      if (rows.length === 0) throw Errors.invalidInputFile(o.referenceData, "no rows");
      const table = compileValidator(model.signature).toTable(rows, "reference");
      const out = await model.predict(table);
      const values =
        out.kind === "labels"
          ? out.labels
          : out.kind === "values" && out.values.cols === 1
            ? Array.from(out.values.data)
            : undefined;
      // Given statistics win over computed ones, feature by feature.
      trainingStats = {
        ...statsFromRows(
          table.columns,
          table.numeric,
          table.strings,
          table.rows,
          values ? { values, categorical: out.kind === "labels" } : undefined,
        ),
        ...trainingStats,
      };
    }
    const files = await Promise.all(rels.map((r) => fileEntry(root, r)));
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      name: o.name,
      version: o.version,
      runtime: model.info.runtime,
      model: modelRel,
      files,
      createdAt: new Date().toISOString(),
      framework: {
        name: model.info.framework,
        ...(model.info.frameworkVersion ? { version: model.info.frameworkVersion } : {}),
      },
      modelType: model.info.modelType,
      signature: model.signature,
      ...(metadata ? { metadata } : {}),
      ...(trainingStats ? { trainingStats } : {}),
      ...(samples ? { samples } : {}),
    };
    await writeFile(join(root, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const out = resolvePath(o.out);
    if (/\.(tar\.gz|tgz)$/i.test(out)) {
      await mkdir(dirname(out), { recursive: true });
      const { create: createTar } = await import("tar");
      await createTar({ gzip: true, file: out, cwd: stage, portable: true }, [basename(root)]);
    } else {
      const exists = await stat(out).then(
        () => true,
        () => false,
      );
      if (exists)
        throw Errors.invalidInputFile(
          out,
          "the output already exists; bundles are immutable, pick a new path",
        );
      await mkdir(dirname(out), { recursive: true });
      // Write-then-rename: a watcher never sees a half-written bundle.
      await rename(root, out).catch(async () => {
        const { cp } = await import("node:fs/promises");
        await cp(root, `${out}.partial`, { recursive: true });
        await rename(`${out}.partial`, out);
      });
    }
    return { path: out, manifest, golden };
  } finally {
    await model.close?.();
    await rm(stage, { recursive: true, force: true });
  }
}
