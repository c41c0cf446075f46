/**
 * @module `modelserve predict`: offline scoring that never loses a row. Rows are validated in chunks
 * with the server's validator; a rejected row is taken out of its chunk and, by `--on-error`, reported
 * to an errors file with its line and code (`report`, the default), dropped (`skip`) or ends the run
 * (`fail`). Pass-through columns (`--id-column`, `--keep-columns`) are carried to the output beside the
 * prediction. A terminal gets progress (rows/s, ETA) on stderr; every run ends with a summary line.
 *
 * Exit codes: 0 every row scored; 1 the run failed (nothing written) or `--on-error fail` met a bad
 * row; 2 usage or configuration error; 3 scored, but some rows were rejected (`report` or `skip`).
 */

import { performance } from "node:perf_hooks";
import { Errors, type FieldIssue, isModelServeError } from "../errors.ts";
import { explainModel } from "../inference/explain.ts";
import { infer } from "../inference/run.ts";
import type { ReadyVersion } from "../registry/model-registry.ts";
import type { Label } from "../runtimes/runtime.ts";
import { ExplanationCollector } from "../schema/explain-columns.ts";
import {
  BATCH_FORMATS,
  type BatchFormat,
  type BatchRecord,
  batchFormatOf,
  encodeColumns,
  parseRecords,
  readInput,
  sniffFormat,
  UnparsableRow,
  writeOutput,
} from "./batch-io.ts";

/** What to do with a row the model cannot score. */
export type OnError = "skip" | "fail" | "report";

/** Options of {@link scoreFile}. */
export interface ScoreOptions {
  /** Input path, or `-` for stdin. */
  readonly input: string;
  /** Output path, or `-` (the default) for stdout. */
  readonly output?: string;
  readonly inputFormat?: BatchFormat;
  readonly outputFormat?: BatchFormat;
  readonly proba?: boolean;
  /** Each feature's TreeSHAP contribution as extra columns (tree models). */
  readonly explain?: boolean;
  readonly idColumn?: string;
  readonly keepColumns?: readonly string[];
  readonly onError?: OnError;
  /** Where `report` writes rejected rows (JSON Lines); default `<output>.errors.jsonl`, or `predict-errors.jsonl`. */
  readonly errorsFile?: string;
  readonly batchSize?: number;
  /** Progress lines on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
}

/** One rejected row, as written to the errors file. */
export interface RejectedRow {
  /** 1-based data row. */
  readonly row: number;
  /** 1-based line in a text input (CSV counts its header). */
  readonly line?: number;
  readonly id?: unknown;
  /** `MS_INVALID_INPUT` for rows the validator refused, `MS_INVALID_INPUT_FILE` for unparsable ones, or the model's error code. */
  readonly code: string;
  /** The first issue's code (e.g. `WRONG_TYPE`), when the validator refused the row. */
  readonly issue?: string;
  readonly field?: string;
  readonly message: string;
}

/** What a run did. */
export interface ScoreSummary {
  readonly rows: number;
  readonly scored: number;
  readonly rejected: number;
  readonly seconds: number;
  readonly errorsFile?: string;
  /** The process exit code the run calls for. */
  readonly exitCode: 0 | 1 | 3;
}

/** A bad row found in a chunk, with the issues that name it. */
function rowIssues(err: unknown): Map<number, FieldIssue[]> | undefined {
  if (!isModelServeError(err) || err.code !== "MS_INVALID_INPUT") return undefined;
  const issues = (err.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
  const byRow = new Map<number, FieldIssue[]>();
  for (const i of issues) {
    const m = /^r\[(\d+)\]/.exec(i.field);
    if (!m) return undefined;
    const r = Number(m[1]);
    byRow.set(r, [...(byRow.get(r) ?? []), { ...i, field: i.field.replace(/^r\[\d+\]\.?/, "") }]);
  }
  return byRow.size > 0 ? byRow : undefined;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Scores a file; writes the output (and errors file) and returns the summary. */
export async function scoreFile(v: ReadyVersion, opts: ScoreOptions): Promise<ScoreSummary> {
  const started = performance.now();
  const onError = opts.onError ?? "report";
  const output = opts.output ?? "-";
  const bytes = await readInput(opts.input);
  const inFormat =
    opts.inputFormat ??
    (opts.input === "-" ? sniffFormat(bytes) : (batchFormatOf(opts.input) ?? sniffFormat(bytes)));
  const outFormat = opts.outputFormat ?? (output === "-" ? "json" : batchFormatOf(output));
  if (!outFormat) {
    throw Errors.invalidConfig(
      `cannot tell the output format of ${output}: use --output-format ${BATCH_FORMATS.join("|")}`,
    );
  }
  const passthrough = [...(opts.idColumn ? [opts.idColumn] : []), ...(opts.keepColumns ?? [])];
  const model = v.model;
  const records = await parseRecords(
    bytes,
    inFormat,
    opts.input === "-" ? "stdin" : opts.input,
    model.signature.inputs,
    passthrough,
    (m) => process.stderr.write(`warning: ${m}\n`),
  );

  const classes = model.signature.output.classes;
  // A multi-output classifier: each output's classes, its probability columns output after output.
  const outputClasses = classes ? undefined : model.signature.output.outputClasses;
  const outputNames = model.signature.output.names;
  const wantProba = opts.proba === true;
  if (wantProba && (!model.predictProba || (!classes && !outputClasses))) {
    throw Errors.methodNotSupported(
      v.name,
      "predict_proba",
      `it is a ${model.signature.output.task} model without probabilities`,
    );
  }
  if (opts.explain && !model.explain) await explainModel(model, v.name, v.validator.toTable([], "r"));
  const explained = new ExplanationCollector();
  const chunk = Math.max(1, opts.batchSize ?? 10_000);
  const scored: BatchRecord[] = [];
  const predictions: unknown[] = [];
  const probabilities: (number | null)[][] = [];
  const rejected: RejectedRow[] = [];
  const progress = opts.progress ?? process.stderr.isTTY === true;
  let lastProgress = 0;

  const reject = (rec: BatchRecord, r: Omit<RejectedRow, "row" | "line" | "id">) => {
    const entry: RejectedRow = {
      row: rec.row,
      ...(rec.line !== undefined ? { line: rec.line } : {}),
      ...(opts.idColumn ? { id: rec.carry[opts.idColumn] } : {}),
      ...r,
    };
    if (onError === "fail") {
      // The run stops with the row's own error, located.
      const where = entry.line !== undefined ? `line ${entry.line}` : `row ${entry.row}`;
      if (entry.code === "MS_INVALID_INPUT") {
        throw Errors.invalidInput([
          { code: entry.issue ?? "INVALID", field: entry.field ?? "", message: `${where}: ${entry.message}` },
        ]);
      }
      throw Errors.invalidInputFile(opts.input === "-" ? "stdin" : opts.input, `${where}: ${entry.message}`);
    }
    rejected.push(entry);
  };

  const score = async (part: BatchRecord[]) => {
    const table = v.validator.toTable(
      part.map((r) => r.value),
      "r",
    );
    const res = await infer(v, table, "predict");
    const p = wantProba
      ? (res.probabilities ?? (await infer(v, table, "predict_proba")).probabilities!)
      : undefined;
    if (opts.explain) explained.add(await explainModel(model, v.name, table));
    for (let i = 0; i < part.length; i++) {
      scored.push(part[i]);
      predictions.push(res.predictions?.[i] ?? null);
      if (p) {
        probabilities.push(
          Array.from(p.data.subarray(i * p.cols, (i + 1) * p.cols), (x) => (Number.isFinite(x) ? x : null)),
        );
      }
    }
  };

  for (let start = 0; start < records.length; start += chunk) {
    let part = records.slice(start, start + chunk).filter((rec) => {
      if (!(rec.value instanceof UnparsableRow)) return true;
      reject(rec, { code: "MS_INVALID_INPUT_FILE", message: rec.value.reason });
      return false;
    });
    // Validation errors name their rows: take those out and score the rest (again, if the
    // validator reported only the first of many bad rows).
    for (;;) {
      try {
        await score(part);
        break;
      } catch (err) {
        const bad = rowIssues(err);
        if (bad) {
          for (const [r, issues] of bad) {
            reject(part[r], {
              code: "MS_INVALID_INPUT",
              issue: issues[0].code,
              ...(issues[0].field ? { field: issues[0].field } : {}),
              message: issues.map((x) => x.message).join("; "),
            });
          }
          part = part.filter((_, r) => !bad.has(r));
          continue;
        }
        if (!(err instanceof Error)) throw err;
        // Not a validation error: find the rows the model itself refuses, one by one.
        for (const rec of part) {
          try {
            await score([rec]);
          } catch (e) {
            reject(rec, {
              code: isModelServeError(e) ? e.code : "MS_INFERENCE_FAILED",
              message: (e as Error).message,
            });
          }
        }
        break;
      }
    }
    const now = performance.now();
    if (progress && (now - lastProgress > 200 || start + chunk >= records.length)) {
      lastProgress = now;
      const done = Math.min(start + chunk, records.length);
      const rate = done / ((now - started) / 1000);
      const eta = rate > 0 ? (records.length - done) / rate : 0;
      process.stderr.write(
        `\rscored ${fmtInt(done)}/${fmtInt(records.length)} rows · ${fmtInt(rate)} rows/s · ETA ${eta.toFixed(1)} s   `,
      );
    }
  }
  if (progress) process.stderr.write("\n");

  // Output: pass-through columns, the prediction, then one probability column per class.
  const names = [...passthrough, "prediction"];
  const columns: unknown[][] = [
    ...passthrough.map((k) => scored.map((r) => r.carry[k] ?? null)),
    predictions,
  ];
  if (wantProba && classes) {
    classes.forEach((c, j) => {
      names.push(`proba_${String(c)}`);
      columns.push(probabilities.map((p) => p[j]));
    });
  }
  if (wantProba && outputClasses) {
    let j = 0;
    outputClasses.forEach((cs, o) => {
      for (const c of cs) {
        const at = j++;
        names.push(`proba_${outputNames?.[o] ?? o}_${String(c)}`);
        columns.push(probabilities.map((p) => p[at]));
      }
    });
  }
  /** A row's probabilities one list per output (a multi-output classifier), else as they are. */
  const perOutput = <T>(
    row: (number | null)[],
    shape: (cs: readonly Label[], part: (number | null)[]) => T,
  ) => {
    let at = 0;
    return outputClasses!.map((cs) => {
      const part = row.slice(at, at + cs.length);
      at += cs.length;
      return shape(cs, part);
    });
  };
  const explanation = explained.result();
  if (explanation) {
    explanation.columns.forEach((c, j) => {
      names.push(c);
      columns.push(explanation.rows.map((r) => r[j]));
    });
  }
  if (outFormat === "json") {
    const json = {
      model: v.name,
      version: v.version,
      ...(opts.idColumn ? { ids: columns[0] } : {}),
      ...(opts.keepColumns?.length
        ? { columns: Object.fromEntries(opts.keepColumns.map((k) => [k, columns[passthrough.indexOf(k)]])) }
        : {}),
      predictions,
      ...(wantProba && classes ? { classes, probabilities } : {}),
      ...(wantProba && outputClasses
        ? { classes: outputClasses, probabilities: probabilities.map((p) => perOutput(p, (_, part) => part)) }
        : {}),
      ...(explanation ? { explanation } : {}),
    };
    await writeOutput(output, `${JSON.stringify(json)}\n`);
  } else if (outFormat === "jsonl" && !passthrough.length) {
    // The JSON Lines shape of earlier versions: {"prediction", "probabilities": {label: p}}.
    const lines = predictions.map((p, i) =>
      JSON.stringify({
        prediction: p,
        ...(wantProba && classes
          ? { probabilities: Object.fromEntries(classes.map((c, j) => [String(c), probabilities[i][j]])) }
          : {}),
        ...(wantProba && outputClasses
          ? {
              probabilities: perOutput(probabilities[i], (cs, part) =>
                Object.fromEntries(cs.map((c, j) => [String(c), part[j]])),
              ),
            }
          : {}),
        ...(explanation
          ? {
              explanation: Object.fromEntries(explanation.columns.map((c, j) => [c, explanation.rows[i][j]])),
            }
          : {}),
      }),
    );
    await writeOutput(output, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  } else {
    await writeOutput(output, await encodeColumns({ names, columns, rows: scored.length }, outFormat));
  }

  let errorsFile: string | undefined;
  if (onError === "report" && rejected.length > 0) {
    errorsFile = opts.errorsFile ?? (output === "-" ? "predict-errors.jsonl" : `${output}.errors.jsonl`);
    await writeOutput(errorsFile, `${rejected.map((r) => JSON.stringify(r)).join("\n")}\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rows: records.length,
    scored: scored.length,
    rejected: rejected.length,
    seconds,
    ...(errorsFile ? { errorsFile } : {}),
    exitCode: rejected.length > 0 ? 3 : 0,
  };
}

/** The summary line printed on stderr at the end of a run. */
export function summaryLine(s: ScoreSummary, onError: OnError): string {
  const rate = s.seconds > 0 ? s.scored / s.seconds : 0;
  const rejected =
    s.rejected === 0
      ? "0 rejected"
      : `${fmtInt(s.rejected)} rejected (${onError === "skip" ? "skipped" : `see ${s.errorsFile}`})`;
  return `modelserve predict: ${fmtInt(s.scored)} of ${fmtInt(s.rows)} rows scored, ${rejected}, in ${s.seconds.toFixed(2)} s (${fmtInt(rate)} rows/s)\n`;
}
