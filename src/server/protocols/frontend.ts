/**
 * @module The one adapter through which the V2 (REST and gRPC) and V1 front ends reach the prediction
 * pipeline's steps (`../predict/steps.ts`): a lease on the routed version (A/B split, pins, lazy
 * loading), rows decoded for that version's signature and validated by its validator, capacity, the
 * model within the inference timeout, then metrics, drift, shadow traffic and the audit entry. Unlike
 * `predictRows`, the protocol front ends need the version before decoding (tensors map to its inputs)
 * and may ask for extra scores (raw scores, decision function) computed under the same lease.
 */

import type { InferenceResult } from "../../inference/run.ts";
import type { ReadyVersion } from "../../inference/version.ts";
import type { FeatureTable, Matrix } from "../../runtimes/runtime.ts";
import type { AppContext, RequestModel } from "../context.ts";
import { checkCapacity, observeAnswer, runModel } from "../predict/steps.ts";

/** Extra scores a protocol can ask for besides `predict` (and `predict_proba`). */
export type ExtraScore = "raw_score" | "decision_function";

/** What a front end asks of the prediction path. */
export interface FrontendRequest {
  /** Model name (undefined: the default model). */
  readonly name?: string;
  /** Version label (undefined: the default route, with its split and shadow). */
  readonly version?: string;
  /** Routing key of an A/B split. */
  readonly routingKey?: string;
  /** Turns the request into rows for the routed version; also says which extra scores to compute. */
  readonly decode: (v: ReadyVersion) => {
    /** Rows for the validator; a function building them when `table` is given (only the audit asks). */
    readonly rows: readonly unknown[] | (() => readonly unknown[]);
    /** The table, when the front end validated its values already (numeric tensors). */
    readonly table?: FeatureTable;
    readonly path: string;
    readonly extras?: readonly ExtraScore[];
  };
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

/**
 * Runs one prediction request through the shared steps; `entry` collects what it resolved to, for the
 * request log, metrics and the audit log. Throws `ModelServeError`s only.
 */
export async function predictThroughPipeline(
  ctx: AppContext,
  req: FrontendRequest,
  entry: RequestModel,
): Promise<FrontendResult> {
  // Awaited only when the version is not loaded yet (an await of a plain value costs a microtask turn).
  const leased = ctx.registry.acquire(req.name, req.version, req.routingKey);
  const lease = leased instanceof Promise ? await leased : leased;
  const v = lease.version;
  entry.model = v.name;
  entry.version = v.version;
  // Released once both the answer is settled and the model has really finished (after a timeout the
  // model may still be running, as on the native routes).
  let modelDone = true;
  let settled = false;
  let released = false;
  const maybeRelease = () => {
    if (modelDone && settled && !released) {
      released = true;
      lease.release();
    }
  };
  try {
    const { rows, table: validated, path, extras: wanted = [] } = req.decode(v);
    const table = validated ?? v.validator.toTable(typeof rows === "function" ? rows() : rows, path);
    checkCapacity(ctx);
    const model = v.model;
    modelDone = false;
    const result = await runModel(
      ctx,
      v,
      table,
      "predict",
      () => {
        modelDone = true;
        maybeRelease();
      },
      req.requestId,
      req.logError,
    );
    // Extra scores run under the same lease (the answer is not settled yet).
    const extras: FrontendResult["extras"] = {};
    if (wanted.includes("raw_score") && model.rawScore) extras.raw_score = await model.rawScore(table);
    if (wanted.includes("decision_function") && model.decisionFunction)
      extras.decision_function = await model.decisionFunction(table);
    observeAnswer(ctx, entry, v, rows, table, result, req.version === undefined);
    return { version: v, rows: table.rows, result, extras };
  } finally {
    settled = true;
    maybeRelease();
  }
}
