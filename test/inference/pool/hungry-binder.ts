/**
 * A recipe module for the pool's memory test: the model it binds answers one-row tables with their
 * first value, and on any larger table keeps allocating JavaScript objects until its thread's heap
 * runs out.
 */
import type { FeatureTable, RuntimeModel } from "../../../src/runtimes/runtime.ts";

/** Binds the test model (its data is ignored). */
export function bindShared(_data: unknown): RuntimeModel {
  return {
    signature: { inputs: [{ name: "x", type: "float" }], task: "regression" },
    details: { runtime: "test", format: "test" },
    async predict(t: FeatureTable) {
      if (t.rows > 1) {
        const hoard: { readonly i: number; readonly s: string }[][] = [];
        for (let i = 0; ; i++) hoard.push(Array.from({ length: 1024 }, (_, j) => ({ i, s: `${i}:${j}` })));
      }
      return { kind: "values", values: { rows: 1, cols: 1, data: Float64Array.of(t.numeric[0]) } };
    },
  } as unknown as RuntimeModel;
}
