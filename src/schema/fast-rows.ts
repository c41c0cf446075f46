/**
 * @module The fast path of validation for all-numeric models: positional rows, `{"features": [...]}`
 * and named rows whose every value is a valid number (or `null` where allowed) are written straight
 * into the table's matrix, with no per-value path strings. The first value that is not simply valid
 * makes the batch go through the general validator from the start, so errors (codes, fields,
 * messages) are always the general path's, word for word.
 */

import type { ModelSignature } from "../runtimes/runtime.ts";

/** Writes every row into `out` (rows × width) and returns true, or returns false at the first doubt. */
export type FastRows = (rows: readonly unknown[], out: Float64Array) => boolean;

/**
 * Writes a row-major block of `values.length / width` rows into `out` and returns true, or returns false
 * at the first doubt. A NaN (binary tensors have no `null`) or a `null` stands for a missing value.
 */
export type FastMatrix = (values: ArrayLike<unknown>, out: Float64Array) => boolean;

/** What both fast paths check of each column. */
function columnRules(signature: ModelSignature) {
  const inputs = signature.inputs;
  if (inputs.length === 0 || inputs.some((f) => f.dtype !== "float" && f.dtype !== "int")) return undefined;
  return {
    width: inputs.length,
    names: inputs.map((f) => f.name),
    isInt: inputs.map((f) => f.dtype === "int"),
    nullable: inputs.map((f) => f.nullable === true),
    min: inputs.map((f) => f.range?.min ?? Number.NEGATIVE_INFINITY),
    max: inputs.map((f) => f.range?.max ?? Number.POSITIVE_INFINITY),
  };
}

/** The fast path of a signature for tensors, or undefined when it has inputs other than numbers. */
export function compileFastMatrix(signature: ModelSignature): FastMatrix | undefined {
  const rules = columnRules(signature);
  if (!rules) return undefined;
  const { width, isInt, nullable, min, max } = rules;
  // Columns without a rule beyond "a finite number" (the common case) take the shortest test.
  const plain = isInt.every((b, i) => !b && !nullable[i] && min[i] === -Infinity && max[i] === Infinity);
  return (values, out) => {
    const n = values.length;
    if (n % width !== 0) return false;
    if (plain) {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== "number" || !Number.isFinite(v)) return false;
        out[i] = v;
      }
      return true;
    }
    for (let i = 0, c = 0; i < n; i++, c = c + 1 === width ? 0 : c + 1) {
      const v = values[i];
      if (v === null && nullable[c]) {
        out[i] = Number.NaN;
        continue;
      }
      if (typeof v !== "number") return false;
      if (Number.isNaN(v)) {
        if (!nullable[c]) return false;
      } else if (!(v >= min[c] && v <= max[c]) || !Number.isFinite(v) || (isInt[c] && !Number.isInteger(v)))
        return false;
      out[i] = v;
    }
    return true;
  };
}

/** The fast path of a signature, or undefined when it has inputs other than numbers. */
export function compileFastRows(signature: ModelSignature): FastRows | undefined {
  const rules = columnRules(signature);
  if (!rules) return undefined;
  const { width, names, isInt, nullable, min, max } = rules;
  // A model with a feature named "features" reads `{"features": …}` as a named row.
  const featuresWrapper = !names.includes("features");

  const value = (v: unknown, i: number, out: Float64Array, at: number): boolean => {
    if (typeof v === "number") {
      if (!(v >= min[i] && v <= max[i]) || !Number.isFinite(v)) return false;
      if (isInt[i] && !Number.isInteger(v)) return false;
      out[at] = v;
      return true;
    }
    if (v === null && nullable[i]) {
      out[at] = Number.NaN;
      return true;
    }
    return false;
  };

  return (rows, out) => {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const base = r * width;
      let arr: unknown = row;
      if (!Array.isArray(row)) {
        if (row === null || typeof row !== "object") return false;
        const f = featuresWrapper ? (row as { features?: unknown }).features : undefined;
        if (Array.isArray(f)) arr = f;
        else {
          // Named row: exactly the model's names, each a valid value.
          let keys = 0;
          for (const _ in row) keys++;
          if (keys !== width) return false;
          for (let i = 0; i < width; i++) {
            const v = (row as Record<string, unknown>)[names[i]];
            if (v === undefined || !value(v, i, out, base + i)) return false;
          }
          continue;
        }
      }
      const a = arr as unknown[];
      if (a.length !== width) return false;
      for (let i = 0; i < width; i++) if (!value(a[i], i, out, base + i)) return false;
    }
    return true;
  };
}
