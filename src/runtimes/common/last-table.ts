/**
 * @module One computation remembered for the table it was made from. `/predict` asks a classifier for
 * labels, then probabilities, of the same table: with this the trees (or the ONNX session) run once
 * and both answers come from the same margins. Keyed by the table object itself, so a different
 * request's table is never answered from another's result; the value must not be mutated by callers.
 */

import type { FeatureTable } from "../runtime.ts";

/** Wraps `compute` so that a second call with the same table returns the first call's value. */
export function lastTable<T>(compute: (t: FeatureTable) => T): (t: FeatureTable) => T {
  let table: FeatureTable | undefined;
  let value: T;
  return (t) => {
    if (t === table) {
      // Each table is asked at most twice (labels, then probabilities): let the second read release it.
      table = undefined;
      return value;
    }
    value = compute(t);
    table = t;
    return value;
  };
}
