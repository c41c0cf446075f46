/**
 * @module The one adapter through which the V2 (REST and gRPC) and V1 front ends reach the prediction
 * path the native routes use: resolve the version (A/B split, pins, lazy loading), validate rows into a
 * table with the model's own validator, respect the in-flight limit and timeout, infer, then feed drift,
 * shadow traffic, metrics and the audit log. Kept in one function so it can move onto a shared pipeline.
 */

import { Errors } from "../errors.ts";
import { type InferenceResult, infer, probabilityMap } from "../inference/run.ts";
import type { ReadyVersion } from "../registry/model-registry.ts";
import type { Matrix } from "../runtimes/runtime.ts";
import type { AppContext, RequestModel } from "../server/context.ts";

/** What a front end asks of the prediction path. */
export interface FrontendRequest {
  /** Model name (undefined: the default model). */
  readonly name?: string;
  /** Version label (undefined: the default route, with its split and shadow). */
  readonly version?: string;
  /** Routing key of an A/B split. */
  readonly routingKey?: string;
  /** Turns the request into rows for the resolved version (throws request errors). */
  readonly decode: (v: ReadyVersion) => { readonly rows: readonly unknown[]; readonly path: string };
  /** Extra scores to compute besides `predict` (and `predict_proba` when the model has it). */
  readonly extras?: readonly ("raw_score" | "decision_function")[];
  /** Filled in for the request log, metrics and audit log. */
  readonly entry: RequestModel;
  /** Request id, for error messages. */
  readonly requestId: string;
  /** Logs an unexpected model failure (the client gets `MS_INFERENCE_FAILED` only). */
  readonly logError: (fields: Record<string, unknown>, msg: string) => void;
}

/** What the prediction path answers. */
export interface FrontendResult {
  readonly version: ReadyVersion;
  readonly rows: number;
  readonly result: InferenceResult;
  readonly extras: { raw_score?: Matrix; decision_function?: Matrix };
}

async function resolve(ctx: AppContext, req: FrontendRequest): Promise<ReadyVersion> {
  const { registry } = ctx;
  try {
    return registry.resolve(req.name, req.version, req.routingKey);
  } catch (err) {
    // A lazily registered version loads on its first request; that request waits for it.
    const e = err as { code?: string; details?: { name: string; version: string } };
    if (
      e.code !== "MS_MODEL_NOT_READY" ||
      !e.details ||
      !registry.canActivate(e.details.name, e.details.version)
    )
      throw err;
    await registry.activate(e.details.name, e.details.version);
    return registry.resolve(e.details.name, e.details.version);
  }
}

function withTimeout<T>(work: Promise<T>, v: ReadyVersion, ms: number): Promise<T> {
  if (ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Errors.inferenceTimeout(v.name, v.version, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one prediction request through the shared path. Throws `ModelServeError`s only. */
export async function predictThroughPipeline(ctx: AppContext, req: FrontendRequest): Promise<FrontendResult> {
  const { registry, settings } = ctx;
  const v = await resolve(ctx, req);
  const entry = req.entry;
  entry.model = v.name;
  entry.version = v.version;
  const { rows, path } = req.decode(v);
  if (rows.length === 0) throw Errors.emptyBatch();
  if (rows.length > settings.maxBatchSize) throw Errors.batchTooLarge(rows.length, settings.maxBatchSize);
  const table = v.validator.toTable(rows, path);
  const maxInflight = settings.maxInflight ?? 0;
  if (maxInflight > 0 && registry.totalInflight >= maxInflight) throw Errors.overloaded(maxInflight);
  const model = v.model;
  const extras: FrontendResult["extras"] = {};
  let result: InferenceResult;
  registry.enter(v);
  try {
    const work = (async () => {
      const r = await infer(v, table, "predict");
      for (const x of req.extras ?? []) {
        if (x === "raw_score" && model.rawScore) extras.raw_score = await model.rawScore(table);
        if (x === "decision_function" && model.decisionFunction)
          extras.decision_function = await model.decisionFunction(table);
      }
      return r;
    })().finally(() => registry.leave(v));
    result = await withTimeout(work, v, settings.inferenceTimeoutMs ?? 0);
  } catch (err) {
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode !== undefined && e.code?.startsWith("MS_")) throw err;
    req.logError({ err, reqId: req.requestId, model: v.name, version: v.version }, "inference failed");
    throw Errors.inferenceFailed(v.name, v.version, req.requestId);
  }
  if (ctx.metrics) {
    entry.inferenceMs = result.inferenceMs;
    entry.rows = table.rows;
    if (model.signature.output.classes !== undefined) entry.labels = result.predictions;
    else if (model.signature.output.task === "regression") entry.values = result.predictions;
  }
  ctx.drift?.observe(v, {
    rows: table.rows,
    columns: table.columns,
    numeric: table.numeric,
    strings: table.strings,
    predictions: result.predictions,
  });
  // Shadow traffic follows the default route only, as on the native routes.
  if (req.version === undefined && result.predictions) ctx.shadows.mirror(v, table, result.predictions);
  if (ctx.audit?.sampled()) {
    const { probabilities: p, classes } = result;
    entry.audit = {
      rows,
      inputNames: model.signature.inputs.map((f) => f.name),
      predictions: result.predictions,
      probabilities:
        p && classes
          ? Array.from({ length: table.rows }, (_, r) => probabilityMap(p, classes, r))
          : undefined,
    };
  }
  return { version: v, rows: table.rows, result, extras };
}
