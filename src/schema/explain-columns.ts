/**
 * @module `modelserve predict --explain` (and any offline scoring): each scored row gets one column per input feature (its
 * TreeSHAP contribution) plus the base value, per class for per-class explanations
 * (`contrib_<class>_<feature>`, `base_value_<class>`), otherwise `contrib_<feature>` and `base_value`.
 */

import type { Contributions } from "../runtimes/runtime.ts";

/** Explanation columns of scored rows. */
export interface ExplanationColumns {
  /** `margin`, `probability` or `raw`: what base value + Σ contributions adds up to. */
  readonly outputSpace: string;
  readonly columns: readonly string[];
  /** One array per row, in `columns` order. */
  readonly rows: readonly (readonly number[])[];
}

/** Collects the explanations of successive chunks of rows. */
export class ExplanationCollector {
  private columns: string[] | undefined;
  private outputSpace = "";
  private readonly rows: number[][] = [];

  /** Appends a chunk's contributions. */
  add(c: Contributions): void {
    const F = c.features.length;
    const K = c.outputs.length;
    if (!this.columns) {
      this.outputSpace = c.outputSpace;
      this.columns =
        K === 1
          ? [...c.features.map((f) => `contrib_${f}`), "base_value"]
          : c.outputs.flatMap((o) => [
              ...c.features.map((f) => `contrib_${String(o)}_${f}`),
              `base_value_${String(o)}`,
            ]);
    }
    for (let r = 0; r < c.rows; r++) {
      // Each output's block is already "features then bias", the column order above.
      this.rows.push(Array.from(c.values.subarray(r * K * (F + 1), (r + 1) * K * (F + 1))));
    }
  }

  /** The collected columns, or undefined when nothing was explained. */
  result(): ExplanationColumns | undefined {
    return this.columns
      ? { outputSpace: this.outputSpace, columns: this.columns, rows: this.rows }
      : undefined;
  }
}
