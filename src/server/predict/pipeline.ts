/**
 * @module A prediction from request to answer, as a pipeline of the small steps in `body.ts` and
 * `steps.ts`: acquire a lease on the routed version → read the rows → validate them to a table → check
 * capacity → run the model → observe (metrics, drift, shadow, audit) → release. Every front end calls
 * {@link predictRows} with rows in the native shape; the answer shape is the front end's.
 */

import type { InferenceResult, Method } from "../../inference/run.ts";
import type { ReadyVersion } from "../../inference/version.ts";
import type { DecodedRows } from "../../schema/json-rows.ts";
import type { AppContext, RequestModel } from "../context.ts";
import { checkCapacity, type FailureLog, type Lazy, observeAnswer, runModel } from "./steps.ts";

/** What a front end asks for. */
export interface PredictCall {
  /** Model name (default model when undefined). */
  readonly name?: string;
  /** Version label (routing decides when undefined). */
  readonly version?: string;
  /** Sticky split key (`X-Routing-Key`). */
  readonly routingKey?: string;
  readonly method: Method;
  /** Reads the rows once the version is known (the body's shape is checked there). */
  readonly rows: () => unknown[];
  /**
   * The body's rows read straight from its bytes (`schema/json-rows.ts`), when it has that form: the
   * version's validator takes them without `rows` unless they need its general path.
   */
  readonly decoded?: DecodedRows;
  /** Where rows sit in the body, for error paths (`instances`, or `""` for a single row). */
  readonly path: string;
  readonly reqId: string;
  readonly log: FailureLog;
}

/** A finished prediction. */
export interface Prediction {
  readonly version: ReadyVersion;
  readonly result: InferenceResult;
  readonly rows: number;
}

/** Runs the pipeline; `entry` collects what the request resolved to, for logs and metrics. */
export async function predictRows(
  ctx: AppContext,
  call: PredictCall,
  entry: RequestModel,
): Promise<Prediction> {
  // A loaded version is leased at once: awaited only when it is not (an await of a plain value still
  // costs a turn of the microtask queue and a promise per request).
  const leased = ctx.registry.acquire(call.name, call.version, call.routingKey);
  const lease = leased instanceof Promise ? await leased : leased;
  const v = lease.version;
  entry.model = v.name;
  entry.version = v.version;
  // Once the model runs, `runModel` releases the lease when the model really ends (after the answer
  // when it timed out); before that, any refusal releases it here.
  let running = false;
  try {
    // Rows read from the body's bytes need no row objects: those are made only if asked for (audit).
    let table = call.decoded && v.validator.fromDecoded(call.decoded);
    let rows: Lazy<readonly unknown[]> = call.rows;
    if (!table) {
      const parsed = call.rows();
      rows = parsed;
      table = v.validator.toTable(parsed, call.path);
    }
    checkCapacity(ctx);
    running = true;
    const result = await runModel(ctx, v, table, call.method, () => lease.release(), call.reqId, call.log);
    // Probability maps per row are built only for a sampled audit entry; the answer is written from
    // the matrix (answer-json.ts).
    observeAnswer(ctx, entry, v, rows, table, result, call.version === undefined);
    return { version: v, result, rows: table.rows };
  } finally {
    if (!running) lease.release();
  }
}
