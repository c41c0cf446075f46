/**
 * @module Where a model version runs: inline on the event loop, or on the inference pool. `auto` times
 * the model at warm-up — one row, then a batch of {@link TIMED_ROWS} rows or more — and estimates a call's cost
 * as the first row's plus a per-row cost for the others. A model is bound to the pool when a batch the
 * server accepts (`maxBatchSize` rows) would cost at least {@link POOL_MIN_CALL_US}; then each call whose
 * estimated cost reaches it goes to a pool thread, and cheaper calls (single rows, small batches) stay
 * inline, where they do not pay the round trip. `pool` sends every call to the pool; `inline` none.
 */

import { performance } from "node:perf_hooks";
import type { FeatureTable, LoadedModel } from "../../runtimes/runtime.ts";
import { exampleRow } from "../../schema/json-schema.ts";
import { compileValidator } from "../../schema/validator.ts";
import type { InferencePool, PoolLabel } from "./inference-pool.ts";
import { pooledModel } from "./pooled-model.ts";

/** Where inference runs: decided from the warm-up cost, or forced. */
export type InferenceMode = "auto" | "inline" | "pool";

/**
 * The cost of a call from which `auto` sends it to the pool, in microseconds. A round trip to a pool
 * thread (the table cloned there, the answer cloned back, two wake-ups) measured 35–100 µs here for
 * 1–1000-row tables (`bench/pool.ts`); at 1 ms of model work the trip is a tenth of it, and the event
 * loop gets the millisecond back for parsing and answering other requests.
 */
export const POOL_MIN_CALL_US = 1000;

/** Rows of the first timed warm-up batch. */
export const TIMED_ROWS = 32;

/** Most rows of a timed warm-up batch. */
const MAX_TIMED_ROWS = 16_384;

/** Event-loop time the timing of one table may take before its second timed run, in microseconds. */
const TIMING_BUDGET_US = 20_000;

/** What `/models/{name}` shows of a version's placement (its `meta.inference`). */
export interface PlacementFacts {
  readonly mode: "inline" | "pool";
  /** Why this mode. */
  readonly reason: string;
  /** Threads of the pool (pool mode). */
  readonly threads?: number;
  /** Calls of at least this many rows go to the pool; fewer run inline (pool mode). */
  readonly poolFromRows?: number;
  /** The warm-up timing: one row, and each further row of a batch, in microseconds. */
  readonly cost?: { readonly firstRowUs: number; readonly perRowUs: number };
}

/**
 * Places a loaded, checked model inline or on the inference pool: returns the model to serve and the
 * facts shown as the version's `meta.inference` (the registry calls it for each model it loads).
 */
export type ModelPlacer = (
  model: LoadedModel,
  at: { readonly name: string; readonly version: string; readonly mode?: InferenceMode },
) => Promise<{ model: LoadedModel; facts: PlacementFacts }>;

/** Options of {@link placeModel}. */
export interface PlaceOptions extends PoolLabel {
  readonly mode: InferenceMode;
  /** Most rows of one call (the server's `maxBatchSize`). */
  readonly maxBatchRows: number;
  /**
   * The CPUs the process may use and its event loops (worker processes). `auto` keeps every model
   * inline unless there are more CPUs than event loops: a pool thread on a CPU an event loop needs
   * only moves work around (measured: batches 0.18–0.40× while single rows got their CPU). Unknown:
   * a CPU is assumed spare.
   */
  readonly cpus?: { readonly usable: number; readonly workers: number };
}

/** The warm-up cost of a model, or undefined when its example rows are not valid input. */
async function measure(
  model: LoadedModel,
  maxRows: number,
): Promise<{ firstRowUs: number; perRowUs: number } | undefined> {
  let one: FeatureTable;
  let batchOf: (rows: number) => FeatureTable;
  try {
    const validator = compileValidator(model.signature);
    const row = { ...exampleRow(model.signature), ...model.typicalValues };
    one = validator.toTable([row], "warm-up");
    batchOf = (rows) =>
      validator.toTable(
        Array.from({ length: rows }, () => row),
        "warm-up",
      );
  } catch {
    return undefined;
  }
  // As `infer` calls it: the prediction, then the probabilities of the same table. The best of up to
  // five runs (the least disturbed by whatever else the CPU does at load time), within a budget: this
  // runs on the event loop, which may be serving other models.
  const run = async (t: FeatureTable): Promise<number> => {
    const copy = { ...t };
    const started = performance.now();
    await model.predict(copy);
    if (model.predictProba) await model.predictProba(copy);
    return (performance.now() - started) * 1000;
  };
  const time = async (t: FeatureTable): Promise<number> => {
    // A first run untimed: it may compile code or fill caches that every later call finds ready.
    let spent = await run(t);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5 && (i === 0 || spent < TIMING_BUDGET_US); i++) {
      const us = await run(t);
      best = Math.min(best, us);
      spent += us;
    }
    return best;
  };
  try {
    const firstRowUs = await time(one);
    // A row that costs the threshold already says all `auto` needs: every call goes to the pool.
    if (firstRowUs >= POOL_MIN_CALL_US) return { firstRowUs, perRowUs: firstRowUs };
    // A batch long enough that its rows, not the call's own noise, make its time: from 32 rows, eight
    // times more while it takes under 500 µs (a cheap model's 32 rows cost about as much as one row).
    let rows = Math.min(TIMED_ROWS, Math.max(2, maxRows));
    let batchUs = await time(batchOf(rows));
    while (batchUs < 500 && rows * 8 <= Math.min(maxRows, MAX_TIMED_ROWS)) {
      rows *= 8;
      batchUs = await time(batchOf(rows));
    }
    return { firstRowUs, perRowUs: Math.max(0, batchUs - firstRowUs) / (rows - 1) };
  } catch {
    return undefined;
  }
}

/** Why a model without a shared-memory recipe stays inline. */
function unsharedReason(model: LoadedModel): string {
  switch (model.info.runtime) {
    case "onnx":
      return "ONNX models run in their own session worker already";
    case "typescript":
      return "TypeScript models run their own code, which is not rebuilt on other threads";
    case "sklearn":
    case "xgboost":
    case "lightgbm":
      return "its arrays are not in shared memory (loaded with the loader worker off, or with every model inline)";
    default:
      return `the ${model.info.runtime} runtime gives no shared-memory recipe`;
  }
}

/**
 * Places a loaded (and warmed-up) model: returns the model to serve — the same one inline, or one
 * bound to `pool` — and the facts shown in the version's details.
 */
export async function placeModel(
  model: LoadedModel,
  pool: InferencePool,
  options: PlaceOptions,
): Promise<{ model: LoadedModel; facts: PlacementFacts }> {
  const inline = (reason: string, cost?: PlacementFacts["cost"]) => ({
    model,
    facts: { mode: "inline" as const, reason, ...(cost ? { cost } : {}) },
  });
  if (options.mode === "inline") return inline("inference is set to inline");
  if (!model.shared) return inline(unsharedReason(model));
  const cpus = options.cpus;
  if (options.mode === "auto" && cpus && cpus.usable <= cpus.workers)
    return inline(
      `the process may use ${cpus.usable} CPU${cpus.usable === 1 ? "" : "s"} for ${cpus.workers} event loop${cpus.workers === 1 ? "" : "s"}: a pool thread would take its CPU from an event loop (set inference to pool to move batches off the loop anyway)`,
    );
  const cost = await measure(model, options.maxBatchRows);
  if (options.mode === "auto") {
    if (!cost)
      return inline("its cost could not be measured at warm-up (the example row is not valid input)");
    const most = cost.firstRowUs + cost.perRowUs * (options.maxBatchRows - 1);
    if (most < POOL_MIN_CALL_US)
      return inline(
        `even a batch of ${options.maxBatchRows} rows would cost about ${Math.round(most)} µs, under the ${POOL_MIN_CALL_US} µs from which the pool pays`,
        cost,
      );
  }
  // `auto` records the model on the pool without starting its threads: they start with the first call
  // costly enough to go there, so a server that never gets one never pays their memory (an isolate
  // each, ~20 MB). A forced `pool` sends every call there, so its threads start now.
  let id: number;
  try {
    id = await pool.bind(model.shared, options, { lazy: options.mode === "auto" });
  } catch (err) {
    return inline(`binding it on the pool's threads failed: ${(err as Error).message}`, cost);
  }
  // The fewest rows whose estimated cost reaches the threshold (auto), or every call (pool).
  const poolFromRows =
    options.mode === "pool" || !cost || cost.firstRowUs >= POOL_MIN_CALL_US
      ? 1
      : Math.ceil((POOL_MIN_CALL_US - cost.firstRowUs) / cost.perRowUs) + 1;
  const reason =
    options.mode === "pool"
      ? "inference is set to pool"
      : `calls of ${poolFromRows} rows or more cost at least ${POOL_MIN_CALL_US} µs (measured at warm-up)`;
  const facts: Mutable<PlacementFacts> = {
    mode: "pool",
    reason,
    threads: pool.size,
    poolFromRows,
    ...(cost ? { cost } : {}),
  };
  // The version's details follow a model its threads could not build when they started.
  const onUnbound = (why: string) => {
    facts.mode = "inline";
    facts.reason = `binding it on the pool's threads failed: ${why}`;
    delete facts.threads;
    delete facts.poolFromRows;
  };
  return {
    model: pooledModel(model, pool, id, options, (rows) => rows >= poolFromRows, onUnbound),
    facts,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
