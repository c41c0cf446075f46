/**
 * @module The messages between the inference pool ({@link InferencePool}) and its threads
 * (`pool-thread.ts`): models bound and released by id, calls by number. Tables and answers travel by
 * structured clone (typed arrays copied as bytes, never re-encoded), and each table's copy goes back
 * moved with its answer; a model's own arrays are in `SharedArrayBuffer`s, which the clone shares.
 */

import type { WireError } from "../../runtimes/loading/loader-worker-host.ts";
import type { FeatureTable } from "../../runtimes/runtime.ts";

/** The model methods a pool thread runs. */
export type PoolMethod = "predict" | "predictProba" | "decisionFunction" | "transform" | "rawScore";

/** What the pool posts to a thread. */
export type ToThread =
  /** Rebuilds a model from its recipe (`RuntimeModel.shared`) under `id`. */
  | { readonly type: "bind"; readonly id: number; readonly module: string; readonly data: unknown }
  /** Drops the model `id` (its arrays go when no thread holds them). */
  | { readonly type: "release"; readonly id: number }
  /** Runs `methods` in turn on one table (a prediction and its probabilities share one evaluation). */
  | {
      readonly type: "call";
      readonly call: number;
      readonly id: number;
      readonly methods: readonly PoolMethod[];
      readonly table: FeatureTable;
    }
  /** Asks which models the thread holds (tests, leak checks). */
  | { readonly type: "held"; readonly call: number };

/** What a thread posts back. */
export type FromThread =
  | { readonly type: "bound"; readonly id: number; readonly error?: WireError }
  | {
      readonly type: "result";
      readonly call: number;
      readonly results?: unknown[];
      readonly error?: WireError;
    }
  | {
      readonly type: "held";
      readonly call: number;
      readonly ids: number[];
      /** For each id: whether every array of its recipe arrived as shared memory. */
      readonly sharedOnly: boolean[];
      /** The thread's `process.memoryUsage().arrayBuffers`. */
      readonly arrayBuffers: number;
    };
