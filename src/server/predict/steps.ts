/**
 * @module The steps of a prediction after routing, each usable alone: capacity, running the model
 * within the inference timeout, and the hooks that observe an answer (metrics fields, drift, shadow,
 * audit). Front ends (native JSON, the Open Inference Protocol) compose them through `pipeline.ts`.
 */

import { Errors } from "../../errors.ts";
import {
  hasProbabilityColumns,
  type InferenceResult,
  type Method,
  type ProbabilityRow,
  probabilityRow,
} from "../../inference/run.ts";
import type { ReadyVersion } from "../../inference/version.ts";
import type { FeatureTable } from "../../runtimes/runtime.ts";
import type { AppContext, RequestModel } from "../context.ts";

/** Refuses at once (503 + `Retry-After`) when more predictions than `maxInflight` would run. */
export function checkCapacity(ctx: AppContext): void {
  const max = ctx.settings.maxInflight;
  // The caller's own lease is already counted.
  if (max > 0 && ctx.registry.totalInflight > max) throw Errors.overloaded(max);
}

/**
 * Races a prediction against a timer. The prediction is not cancelled (a synchronous runtime cannot
 * be), but the client gets its answer; `done` runs when `work` really ends, so the version stays leased
 * until then. One promise and one timer a request (the production preset times every prediction).
 */
function withTimeout<T>(work: Promise<T>, v: ReadyVersion, ms: number, done: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Errors.inferenceTimeout(v.name, v.version, ms)), ms);
    work.then(
      (r) => {
        clearTimeout(timer);
        done();
        resolve(r);
      },
      (err: unknown) => {
        clearTimeout(timer);
        done();
        reject(err);
      },
    );
  });
}

/** Logs an unexpected failure of a model with the request id. */
export type FailureLog = (fields: Record<string, unknown>, msg: string) => void;

/**
 * Runs the model. `done` is called when the model has really finished (later than the answer when it
 * timed out). A failure that is not a documented error is logged and answered as `MS_INFERENCE_FAILED`.
 */
export async function runModel(
  ctx: AppContext,
  v: ReadyVersion,
  table: FeatureTable,
  method: Method,
  done: () => void,
  reqId: string,
  log: FailureLog,
): Promise<InferenceResult> {
  const timeoutMs = ctx.settings.inferenceTimeoutMs;
  try {
    // Through the micro-batcher: same answer as `infer`, possibly computed in one call with others.
    const work = ctx.batcher.infer(v, table, method);
    if (timeoutMs > 0) return await withTimeout(work, v, timeoutMs, done);
    try {
      return await work;
    } finally {
      done();
    }
  } catch (err) {
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode !== undefined && e.code?.startsWith("MS_")) throw err;
    log({ err, reqId, model: v.name, version: v.version }, "inference failed");
    throw Errors.inferenceFailed(v.name, v.version, reqId);
  }
}

/**
 * Probabilities of every row keyed by class label (one map per output for a multi-output classifier), when
 * the result has them.
 */
export function probabilityRows(result: InferenceResult, rows: number): ProbabilityRow[] | undefined {
  const p = result.probabilities;
  return p && hasProbabilityColumns(result)
    ? Array.from({ length: rows }, (_, r) => probabilityRow(p, result, r)!)
    : undefined;
}

/** A value the caller has, or can make when asked (the audit entry is sampled: most answers never need it). */
export type Lazy<T> = T | (() => T);

const force = <T>(v: Lazy<T>): T => (typeof v === "function" ? (v as () => T)() : v);

/**
 * The hooks that watch an answer: fields for metrics, drift windows, shadow traffic (default route
 * only: a request pinned to a version is not mirrored) and the sampled audit entry. `rows` (and the
 * probability maps, made here from the result) are only needed for a sampled audit entry, so front
 * ends that do not hold rows pass a function that builds them.
 */
export function observeAnswer(
  ctx: AppContext,
  entry: RequestModel,
  v: ReadyVersion,
  rows: Lazy<readonly unknown[]>,
  table: FeatureTable,
  result: InferenceResult,
  mirror: boolean,
): void {
  if (ctx.metrics) {
    entry.inferenceMs = result.inferenceMs;
    entry.rows = table.rows;
    if (v.model.signature.output.classes !== undefined) entry.labels = result.predictions;
    else if (v.model.signature.output.task === "regression") entry.values = result.predictions;
  }
  ctx.drift?.observe(v, {
    rows: table.rows,
    columns: table.columns,
    numeric: table.numeric,
    strings: table.strings,
    predictions: result.predictions,
  });
  if (mirror && result.predictions) ctx.shadows.mirror(v, table, result.predictions);
  if (ctx.audit?.sampled()) {
    entry.audit = {
      rows: force(rows),
      inputNames: v.model.signature.inputs.map((f) => f.name),
      predictions: result.predictions,
      probabilities: probabilityRows(result, table.rows),
    };
  }
}
