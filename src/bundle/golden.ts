/**
 * @module Golden samples: runs recorded inputs through a loaded model and compares every output with
 * what the training environment answered — the notebook-versus-API check, at every load.
 */

import type { GoldenDiff } from "../errors.ts";
import { infer, type PredictionValue } from "../inference/run.ts";
import type { ReadyVersion } from "../inference/version.ts";
import type { LoadedModel } from "../runtimes/runtime.ts";
import { compileValidator } from "../schema/validator.ts";

/** Expected outputs of golden samples. */
export interface GoldenExpected {
  readonly predict?: readonly unknown[];
  readonly predict_proba?: readonly (readonly number[])[];
}

/** What a golden check found. */
export interface GoldenResult {
  /** Outputs compared (predictions plus probabilities). */
  readonly compared: number;
  readonly diffs: readonly GoldenDiff[];
}

function close(a: unknown, b: unknown, rel: number, abs: number): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => close(x, b[i], rel, abs))
    );
  }
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
  }
  // Labels compare by value as the library wrote them; NaN outputs are recorded as null.
  return a === b || (a !== null && b !== null && String(a) === String(b) && typeof a === typeof b);
}

/** Runs the samples and lists every output outside the tolerance. */
export async function checkGolden(
  model: LoadedModel,
  rows: readonly unknown[],
  expected: GoldenExpected,
  rel: number,
  abs: number,
): Promise<GoldenResult> {
  const validator = compileValidator(model.signature);
  const table = validator.toTable(rows, "samples");
  const version = {
    name: "golden",
    version: "check",
    state: "ready",
    model,
    validator,
    since: "",
  } as ReadyVersion;
  const diffs: GoldenDiff[] = [];
  let compared = 0;
  if (expected.predict) {
    const out = await infer(version, table, "predict");
    const preds: PredictionValue[] = out.predictions ?? [];
    expected.predict.forEach((e, i) => {
      compared++;
      if (!close(preds[i], e, rel, abs))
        diffs.push({ sample: i, output: "predict", expected: e, actual: preds[i] ?? null });
    });
  }
  if (expected.predict_proba && model.predictProba) {
    const p = await model.predictProba(table);
    const classes = model.signature.output.classes ?? [];
    expected.predict_proba.forEach((row, i) => {
      row.forEach((e, c) => {
        compared++;
        const a = p.data[i * p.cols + c];
        if (!close(Number.isFinite(a) ? a : null, e, rel, abs)) {
          diffs.push({ sample: i, output: `predict_proba[${String(classes[c])}]`, expected: e, actual: a });
        }
      });
    });
  } else if (expected.predict_proba) {
    diffs.push({
      sample: 0,
      output: "predict_proba",
      expected: "probabilities",
      actual: "the model has none",
    });
  }
  return { compared, diffs };
}

/** A readable per-sample diff table. */
export function formatGolden(result: GoldenResult): string {
  if (result.diffs.length === 0) return `all ${result.compared} golden outputs match\n`;
  const lines = [`${result.diffs.length} of ${result.compared} golden outputs differ:`];
  for (const d of result.diffs.slice(0, 100)) {
    lines.push(
      `  sample ${d.sample}  ${d.output}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`,
    );
  }
  if (result.diffs.length > 100) lines.push(`  … ${result.diffs.length - 100} more`);
  return `${lines.join("\n")}\n`;
}
