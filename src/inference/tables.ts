/**
 * @module Joining validated tables into one batch and cutting a batch's answer back into each
 * table's share: what micro-batching needs to run many requests as one model call and still answer
 * each request with exactly its own rows.
 */

import type { FeatureTable, Matrix, TensorColumn } from "../runtimes/runtime.ts";
import type { InferenceResult } from "./run.ts";

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Whether two tables of the same version can share one batch: same columns, and every tensor
 * feature with the same instance shape (a free axis may differ from request to request).
 */
export function canJoin(a: FeatureTable, b: FeatureTable): boolean {
  if (a.columns.length !== b.columns.length) return false;
  for (let i = 0; i < a.columns.length; i++) if (a.columns[i] !== b.columns[i]) return false;
  const n = Math.max(a.tensors.length, b.tensors.length);
  for (let i = 0; i < n; i++) {
    const x = a.tensors[i];
    const y = b.tensors[i];
    if (x === undefined && y === undefined) continue;
    if (x === undefined || y === undefined || !sameShape(x.shape, y.shape)) return false;
  }
  return true;
}

/** The tables' rows one after the other, as one table (they must satisfy {@link canJoin}). */
export function joinTables(tables: readonly FeatureTable[]): FeatureTable {
  if (tables.length === 1) return tables[0]!;
  const first = tables[0]!;
  const cols = first.columns.length;
  let rows = 0;
  for (const t of tables) rows += t.rows;
  const numeric = new Float64Array(rows * cols);
  let at = 0;
  for (const t of tables) {
    const n = t.rows * cols;
    const from = t.numeric;
    // Micro-batches are mostly single rows: a few numbers copied one by one cost less than the
    // view `subarray` would allocate for each.
    if (n <= 32) for (let i = 0; i < n; i++) numeric[at + i] = from[i]!;
    else numeric.set(n === from.length ? from : from.subarray(0, n), at);
    at += n;
  }
  // Numeric tables (most) have no string or tensor column: the first table's lists of none serve.
  const strings = first.strings.every((c) => c === undefined)
    ? first.strings
    : first.strings.map((col, f) => {
        if (col === undefined) return undefined;
        const out: (string | null)[] = [];
        for (const t of tables) for (const v of t.strings[f] ?? []) out.push(v);
        return out;
      });
  const tensors = first.tensors.every((c) => c === undefined)
    ? first.tensors
    : first.tensors.map((col, f): TensorColumn | undefined => {
        if (col === undefined) return undefined;
        const per = col.shape.reduce((p, d) => p * d, 1);
        const data = new Float64Array(rows * per);
        let off = 0;
        for (const t of tables) {
          const c = t.tensors[f]!;
          data.set(c.data.subarray(0, t.rows * per), off);
          off += t.rows * per;
        }
        return { shape: col.shape, data };
      });
  return { rows, columns: first.columns, numeric, strings, tensors };
}

function sliceMatrix(m: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: m.cols, data: m.data.slice(from * m.cols, to * m.cols) };
}

/**
 * Cuts a batch's result into one result per part, `rows[i]` rows each in batch order. Each part's
 * `inferenceMs` is its share of the batch's model time, by rows, so summing over the parts gives the
 * time the model really spent.
 */
export function splitResult(result: InferenceResult, rows: readonly number[]): InferenceResult[] {
  let total = 0;
  for (const r of rows) total += r;
  const out: InferenceResult[] = [];
  let from = 0;
  for (const r of rows) {
    const to = from + r;
    // The same keys as an unbatched result: a field the batch lacks stays absent.
    const part: { -readonly [K in keyof InferenceResult]: InferenceResult[K] } = {
      inferenceMs: total === 0 ? 0 : (result.inferenceMs * r) / total,
    };
    if ("predictions" in result) part.predictions = result.predictions?.slice(from, to);
    if ("probabilities" in result)
      part.probabilities = result.probabilities && sliceMatrix(result.probabilities, from, to);
    if ("classes" in result) part.classes = result.classes;
    if ("outputClasses" in result) part.outputClasses = result.outputClasses;
    out.push(part);
    from = to;
  }
  return out;
}
