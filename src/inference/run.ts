/**
 * @module Runs a model method on a validated table and shapes the answer as JSON values: one
 * prediction per row, and class probabilities keyed by class label.
 */

import { performance } from "node:perf_hooks";
import { Errors } from "../errors.ts";
import type { FeatureTable, Label, Matrix, PredictOutput } from "../runtimes/runtime.ts";
import type { ReadyVersion } from "./version.ts";

/** A JSON-ready prediction for one row. */
export type PredictionValue =
  | Label
  | number
  | null
  | readonly (number | null)[]
  | readonly Label[]
  | Record<string, unknown>;

/** Results of one inference call. */
export interface InferenceResult {
  /** One value per row (absent for probability-only calls). */
  readonly predictions?: PredictionValue[];
  /** Class probabilities per row, as rows of numbers in `classes` order. */
  readonly probabilities?: Matrix;
  /** Class labels of the probability columns. */
  readonly classes?: readonly Label[];
  /** A multi-output classifier's class labels per output (its probability columns, output after output). */
  readonly outputClasses?: readonly (readonly Label[])[];
  /** Wall time spent in the model, milliseconds. */
  readonly inferenceMs: number;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Turns a runtime's output into one JSON value per row. */
export function predictionValues(out: PredictOutput, rows: number): PredictionValue[] {
  if (out.kind === "labels") return out.labels as Label[];
  if (out.kind === "label-rows") return out.labels as (readonly Label[])[];
  if (out.kind === "values") {
    const { cols, data } = out.values;
    const res: PredictionValue[] = new Array(rows);
    for (let r = 0; r < rows; r++) {
      res[r] = cols === 1 ? finite(data[r]) : Array.from(data.subarray(r * cols, (r + 1) * cols), finite);
    }
    return res;
  }
  const names = Object.keys(out.tensors);
  return Array.from({ length: rows }, (_, r) => {
    const row: Record<string, unknown> = {};
    for (const n of names) {
      const t = out.tensors[n];
      const per = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
      row[n] = t.shape.length > 1 ? t.data.slice(r * per, (r + 1) * per) : t.data[r];
    }
    return row;
  });
}

/** Probabilities of one row keyed by class label. */
export function probabilityMap(
  p: Matrix,
  classes: readonly Label[],
  row: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (let c = 0; c < p.cols; c++) out[String(classes[c])] = finite(p.data[row * p.cols + c]);
  return out;
}

/** One row's probabilities: keyed by class label, or for a multi-output classifier one such map per output. */
export type ProbabilityRow = Record<string, number | null> | Record<string, number | null>[];

/** The class labels of a model's (or result's) probability columns: one list, or one per output. */
export interface ProbabilityColumns {
  readonly classes?: readonly Label[];
  readonly outputClasses?: readonly (readonly Label[])[];
}

/**
 * Probabilities of one row as answered: keyed by class label, or for a multi-output classifier a list with one
 * map per output (`[{"0": 0.1, "1": 0.9}, {"a": 0.7, "b": 0.3}]`), in output order like its predictions.
 */
export function probabilityRow(p: Matrix, cols: ProbabilityColumns, row: number): ProbabilityRow | undefined {
  if (cols.classes) return probabilityMap(p, cols.classes, row);
  if (!cols.outputClasses) return undefined;
  const out: Record<string, number | null>[] = [];
  let at = row * p.cols;
  for (const classes of cols.outputClasses) {
    const m: Record<string, number | null> = {};
    for (const c of classes) m[String(c)] = finite(p.data[at++]);
    out.push(m);
  }
  return out;
}

/** Whether a signature's output has probability columns to key (classes, or classes per output). */
export function hasProbabilityColumns(cols: ProbabilityColumns): boolean {
  return cols.classes !== undefined || cols.outputClasses !== undefined;
}

/** Which model call a route makes. */
export type Method = "predict" | "predict_proba";

/**
 * Runs `predict` (plus `predictProba` when the model offers it) or `predict_proba` alone.
 * Throws `MS_METHOD_NOT_SUPPORTED` for probabilities of a model without them.
 */
export async function infer(v: ReadyVersion, table: FeatureTable, method: Method): Promise<InferenceResult> {
  const model = v.model;
  const { classes, outputClasses } = model.signature.output;
  // A multi-output classifier's labels per output travel with its probabilities.
  const labelled = outputClasses && !classes ? { outputClasses } : {};
  const started = performance.now();
  if (method === "predict_proba") {
    if (!model.predictProba || !hasProbabilityColumns(model.signature.output)) {
      const why =
        model.signature.output.task === "classification"
          ? "this classifier does not produce probabilities"
          : `it is a ${model.signature.output.task} model, not a probabilistic classifier`;
      throw Errors.methodNotSupported(v.name, "predict_proba", why);
    }
    const probabilities = await model.predictProba(table);
    return { probabilities, classes, ...labelled, inferenceMs: performance.now() - started };
  }
  const out = await model.predict(table);
  const probabilities =
    model.predictProba && hasProbabilityColumns(model.signature.output)
      ? await model.predictProba(table)
      : undefined;
  return {
    predictions: predictionValues(out, table.rows),
    probabilities,
    classes,
    ...labelled,
    inferenceMs: performance.now() - started,
  };
}
