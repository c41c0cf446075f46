/**
 * A recipe module for the pool's buffer test: the model it binds answers each row with the sum of its
 * values (a new array per call, one number per row).
 */
import type { FeatureTable, RuntimeModel } from "../../../src/runtimes/runtime.ts";

/** Binds the test model (its data is ignored). */
export function bindShared(_data: unknown): RuntimeModel {
  return {
    signature: { inputs: [{ name: "x", type: "float" }], task: "regression" },
    details: { runtime: "test", format: "test" },
    async predict(t: FeatureTable) {
      const cols = t.columns.length;
      const out = new Float64Array(t.rows);
      for (let r = 0; r < t.rows; r++) for (let c = 0; c < cols; c++) out[r]! += t.numeric[r * cols + c]!;
      return { kind: "values", values: { rows: t.rows, cols: 1, data: out } };
    },
  } as unknown as RuntimeModel;
}
