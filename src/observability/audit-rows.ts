/**
 * @module Audit rows named after the schema: whatever shape a request used (named object,
 * `{"features": [...]}`, a bare positional array in a batch), the audit log sees one object per row
 * keyed by the model's input names, so redaction rules written against those names always apply.
 */

/**
 * Names one validated row by the model's inputs. A positional row (an array, or a `{"features": [...]}`
 * wrapper when no input is called `features`) is zipped with `names`; a named row is copied key by key.
 * Values past the last name (impossible after validation) are named `x<i>` so nothing is silently
 * dropped from the record and nothing escapes a rule by position.
 */
export function namedRow(row: unknown, names: readonly string[]): Record<string, unknown> | unknown {
  const arr = positionalValues(row, names);
  if (arr !== undefined) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < arr.length; i++) out[names[i] ?? `x${i}`] = arr[i];
    return out;
  }
  return row;
}

/** The values of a positional row, or undefined for a named row (same rule as the validator). */
export function positionalValues(row: unknown, names: readonly string[]): readonly unknown[] | undefined {
  if (Array.isArray(row)) return row;
  if (row === null || typeof row !== "object" || names.includes("features")) return undefined;
  const f = (row as Record<string, unknown>).features;
  return Array.isArray(f) && Object.keys(row).length === 1 ? f : undefined;
}
