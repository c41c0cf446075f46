/**
 * @module The per-model input validator: checks JSON rows against a model signature and writes them
 * straight into a {@link FeatureTable} (typed arrays), collecting every problem with a stable code.
 */

import { Errors, type FieldIssue, type IssueCode } from "../errors.ts";
import type { FeatureSpec, FeatureTable, Label, ModelSignature } from "../runtimes/runtime.ts";
import { cutString } from "../util/cut-echoes.ts";
import { compileFastMatrix, compileFastRows } from "./fast-rows.ts";
import type { DecodedRows } from "./json-rows.ts";

/** Marks named rows whose keys come in the model's own order (no reordering). */
const IN_ORDER = "in-order";

/** How many issues one error reports at most, so a bad 10 000-row batch gives a readable answer. */
const MAX_ISSUES = 50;

/** A compiled validator for one model version; build it once at load time and reuse it. */
export interface RowValidator {
  /**
   * Validates rows (named objects, positional arrays or `{"features": [...]}`; for a one-input model also a bare
   * value or `{"features": value}`) into a table, or throws `MS_INVALID_INPUT`.
   */
  toTable(rows: readonly unknown[], path: string): FeatureTable;
  /**
   * Validates a row-major block of numbers (NaN: missing) — a binary tensor's values — straight into a
   * table, or answers undefined when any value needs the general path (the caller then builds rows and
   * calls {@link toTable}, whose errors apply). Undefined too for models with non-numeric inputs.
   * `owned`: `values` is a Float64Array the caller made for this call, which the table may keep (no copy).
   */
  fromMatrix(values: ArrayLike<unknown>, owned?: boolean): FeatureTable | undefined;
  /**
   * Validates rows read straight from a body's bytes (`json-rows.ts`) into a table, or answers undefined
   * when they need the general path (another width, a value a column refuses, a model with an input
   * named `features`, whose `{"features": …}` is a named row); the caller then parses the body and
   * calls {@link toTable}. The table keeps `rows.values`.
   */
  fromDecoded(rows: DecodedRows): FeatureTable | undefined;
  /** Whether `value` is a positional row or a `{"features": [...]}` wrapper rather than a named row. */
  positional(value: unknown): readonly unknown[] | undefined;
}

type Writer = (value: unknown, row: number, field: string, issues: FieldIssue[]) => void;

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function issue(issues: FieldIssue[], code: IssueCode, field: string, message: string, expected?: unknown) {
  if (issues.length < MAX_ISSUES)
    issues.push(expected === undefined ? { code, field, message } : { code, field, message, expected });
}

function expectedOf(spec: FeatureSpec): string {
  switch (spec.dtype) {
    case "float":
      return "a finite number";
    case "int":
      return "an integer";
    case "bool":
      return "true or false";
    case "string":
      return "a string";
    case "category":
      return `one of ${JSON.stringify(spec.categories ?? [])}`;
    case "tensor":
      return `a nested array of shape [${(spec.shape ?? []).join(", ")}]`;
  }
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Flattens a nested array of numbers with the expected shape into `out` at `offset`; returns an error or undefined. */
function flattenTensor(
  value: unknown,
  shape: readonly number[],
  out: Float64Array,
  offset: number,
): string | undefined {
  let pos = offset;
  const walk = (v: unknown, axis: number): string | undefined => {
    if (axis === shape.length) {
      if (typeof v !== "number") return `expected a number at depth ${axis}, got ${typeName(v)}`;
      if (!Number.isFinite(v)) return "values must be finite numbers";
      out[pos++] = v;
      return undefined;
    }
    if (!Array.isArray(v)) return `expected an array at depth ${axis}, got ${typeName(v)}`;
    if (v.length !== shape[axis]) return `axis ${axis} has length ${v.length}, expected ${shape[axis]}`;
    for (const item of v) {
      const err = walk(item, axis + 1);
      if (err) return err;
    }
    return undefined;
  };
  return walk(value, 0);
}

/** Options of {@link compileValidator}. */
export interface ValidatorOptions {
  /** Use the all-numeric fast path when the signature allows it (default true; tests compare both). */
  readonly fast?: boolean;
}

/** Builds the validator for a signature. */
export function compileValidator(signature: ModelSignature, options: ValidatorOptions = {}): RowValidator {
  const inputs = signature.inputs;
  const width = inputs.length;
  const index = new Map<string, number>();
  for (const [i, f] of inputs.entries()) index.set(f.name, i);
  const names = inputs.map((f) => f.name);
  const hasFeaturesField = index.has("features");
  const isString = inputs.map(
    (f) =>
      f.dtype === "string" ||
      (f.dtype === "category" && (f.categories ?? []).some((c) => typeof c === "string")),
  );
  const tensorShapes = inputs.map((f) =>
    f.dtype === "tensor" ? (f.shape ?? []).map((d) => (d < 0 ? 1 : d)) : undefined,
  );
  const hasFreeAxis = inputs.some((f) => f.dtype === "tensor" && (f.shape ?? []).some((d) => d < 0));
  if (hasFreeAxis) {
    // Free axes inside one instance cannot be packed into a fixed-width batch column.
    throw Errors.invalidDefinition("signature", "tensor inputs need fixed instance shapes");
  }

  // Per-feature writers into the current batch's buffers.
  let numeric = new Float64Array(0);
  let strings: ((string | null)[] | undefined)[] = [];
  let tensors: (Float64Array | undefined)[] = [];

  const writers: Writer[] = inputs.map((spec, col) => {
    const nullable = spec.nullable;
    const min = spec.range?.min;
    const max = spec.range?.max;
    const checkRange = (v: number, field: string, issues: FieldIssue[]) => {
      if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
        issue(
          issues,
          "OUT_OF_RANGE",
          field,
          `${field} is ${v}, outside the allowed range [${min ?? "-∞"}, ${max ?? "∞"}]`,
          {
            min,
            max,
          },
        );
      }
    };
    const missing = (row: number) => {
      numeric[row * width + col] = Number.NaN;
      const s = strings[col];
      if (s) s[row] = null;
    };
    const wrongType = (value: unknown, field: string, issues: FieldIssue[]) =>
      issue(
        issues,
        "WRONG_TYPE",
        field,
        `${field} must be ${expectedOf(spec)}, got ${typeName(value)}`,
        spec.dtype,
      );

    const pre = (value: unknown, row: number, field: string, issues: FieldIssue[]): boolean => {
      if (value === null) {
        if (!nullable)
          issue(issues, "NULL_NOT_ALLOWED", field, `${field} must not be null; expected ${expectedOf(spec)}`);
        missing(row);
        return false;
      }
      return true;
    };

    switch (spec.dtype) {
      case "float":
      case "int":
        return (value, row, field, issues) => {
          if (!pre(value, row, field, issues)) return;
          if (typeof value !== "number") return wrongType(value, field, issues);
          if (!Number.isFinite(value)) {
            return issue(issues, "NON_FINITE", field, `${field} must be a finite number, got ${value}`);
          }
          if (spec.dtype === "int" && !Number.isInteger(value)) return wrongType(value, field, issues);
          checkRange(value, field, issues);
          numeric[row * width + col] = value;
        };
      case "bool":
        return (value, row, field, issues) => {
          if (!pre(value, row, field, issues)) return;
          if (typeof value !== "boolean") return wrongType(value, field, issues);
          numeric[row * width + col] = value ? 1 : 0;
        };
      case "string":
        return (value, row, field, issues) => {
          if (!pre(value, row, field, issues)) return;
          if (typeof value !== "string") return wrongType(value, field, issues);
          numeric[row * width + col] = Number.NaN;
          strings[col]![row] = value;
        };
      case "category": {
        const allowed = new Set<Label>(spec.categories ?? []);
        const stringCol = isString[col];
        return (value, row, field, issues) => {
          if (!pre(value, row, field, issues)) return;
          if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
            return wrongType(value, field, issues);
          }
          if (typeof value === "number" && !Number.isFinite(value)) {
            return issue(issues, "NON_FINITE", field, `${field} must be a finite number, got ${value}`);
          }
          if (!allowed.has(value) && !spec.allowUnknownCategories) {
            return issue(
              issues,
              "UNKNOWN_CATEGORY",
              field,
              `${field} is ${JSON.stringify(value)}; expected ${expectedOf(spec)}`,
              [...allowed],
            );
          }
          if (stringCol) {
            numeric[row * width + col] = Number.NaN;
            strings[col]![row] = String(value);
          } else if (typeof value === "number") {
            numeric[row * width + col] = value;
          } else if (typeof value === "boolean") {
            numeric[row * width + col] = value ? 1 : 0;
          } else {
            wrongType(value, field, issues);
          }
        };
      }
      case "tensor": {
        const shape = tensorShapes[col]!;
        const size = shapeSize(shape);
        return (value, row, field, issues) => {
          numeric[row * width + col] = Number.NaN;
          if (value === null) return issue(issues, "NULL_NOT_ALLOWED", field, `${field} must not be null`);
          const err = flattenTensor(value, shape, tensors[col]!, row * size);
          if (err) issue(issues, "WRONG_SHAPE", field, `${field}: ${err}`, { shape });
        };
      }
    }
    return () => undefined;
  });

  // A one-input model (a text pipeline) takes a bare value per row, as `pipe.predict(["text", …])` does.
  const bareInput = width === 1 && inputs[0].dtype !== "tensor";
  const isBare = (v: unknown): boolean =>
    bareInput && (typeof v === "string" || typeof v === "number" || typeof v === "boolean");

  const positional = (value: unknown): readonly unknown[] | undefined => {
    if (Array.isArray(value)) return value;
    if (isBare(value)) return [value];
    if (!hasFeaturesField && value !== null && typeof value === "object") {
      const obj = value as Record<string, unknown>;
      const f = obj.features;
      if (Array.isArray(f)) return f;
      if (isBare(f) && Object.keys(obj).length === 1) return [f];
    }
    return undefined;
  };

  const writeRow = (value: unknown, row: number, path: string, issues: FieldIssue[]) => {
    const arr = positional(value);
    if (arr) {
      const at = Array.isArray(value) || isBare(value) ? path : `${path}.features`;
      if (arr.length !== width) {
        issue(
          issues,
          "WRONG_LENGTH",
          at,
          `${at} has ${arr.length} values; the model takes ${width}: ${names.join(", ")}`,
          names,
        );
        return;
      }
      for (let i = 0; i < width; i++) writers[i](arr[i], row, `${at}[${i}] (${names[i]})`, issues);
      return;
    }
    if (value === null || typeof value !== "object") {
      issue(
        issues,
        "ROW_NOT_OBJECT",
        path || "body",
        `${path || "row"} must be an object of named features or an array of ${width} values${width === 1 ? " (or one bare value)" : ""}, got ${typeName(value)}`,
      );
      return;
    }
    const obj = value as Record<string, unknown>;
    const seen = new Uint8Array(width);
    for (const key of Object.keys(obj)) {
      const i = index.get(key);
      if (i === undefined) {
        // An unknown key is echoed cut: a 10 MB key must not come back in the answer.
        const shown = cutString(key);
        // `{"features": {"a": 1, …}}`: named features nested where positional values go. Say where
        // each shape goes rather than only that "features" is not a feature.
        const nested = key === "features" && obj[key] !== null && typeof obj[key] === "object";
        issue(
          issues,
          "UNKNOWN_FEATURE",
          path ? `${path}.${shown}` : shown,
          nested
            ? `"features" takes the ${width} values in input order as an array (${names.join(", ")}); named features go in the row itself: {"${names[0]}": …}`
            : `unknown feature "${shown}"; expected features: ${names.join(", ")}`,
          names,
        );
        continue;
      }
      const field = path ? `${path}.${key}` : key;
      seen[i] = 1;
      writers[i](obj[key], row, field, issues);
    }
    for (let i = 0; i < width; i++) {
      if (!seen[i]) {
        const field = path ? `${path}.${names[i]}` : names[i];
        issue(
          issues,
          "MISSING_FEATURE",
          field,
          `missing feature "${names[i]}" (${expectedOf(inputs[i])})`,
          names,
        );
      }
    }
  };

  const fast = options.fast === false ? undefined : compileFastRows(signature);
  const fastMatrix = options.fast === false ? undefined : compileFastMatrix(signature);
  // The fast path's tables have the general path's shape: no string or tensor column. One list shared
  // by every table, read-only by type but not frozen: V8 runs builtins such as `every` over a frozen
  // array's elements on a slow path (~1 µs for 30 columns, on every single-row request; measured).
  const noColumns: readonly undefined[] = names.map(() => undefined);

  // Named rows read from bytes: where each key's values go, by key list (the reader hands out one list
  // per key layout it has seen), `IN_ORDER` for the model's own order, null for keys that are not exactly
  // the model's names, each once (the general path's named rows, whose errors it then gives).
  const layouts = new WeakMap<readonly string[], Int32Array | typeof IN_ORDER | null>();
  const columnsOfKeys = (keys: readonly string[]): Int32Array | typeof IN_ORDER | null => {
    let known = layouts.get(keys);
    if (known !== undefined) return known;
    const column = new Int32Array(width);
    const seen = new Uint8Array(width);
    let inOrder = true;
    known = column;
    for (let j = 0; j < width; j++) {
      const i = index.get(keys[j]);
      if (i === undefined || seen[i] === 1) {
        known = null;
        break;
      }
      seen[i] = 1;
      column[j] = i;
      if (i !== j) inOrder = false;
    }
    if (known !== null && inOrder) known = IN_ORDER;
    layouts.set(keys, known);
    return known;
  };

  const fromMatrix = (values: ArrayLike<unknown>, owned = false): FeatureTable | undefined => {
    if (!fastMatrix) return undefined;
    const out = owned && values instanceof Float64Array ? values : new Float64Array(values.length);
    if (!fastMatrix(values, out)) return undefined;
    const rows = values.length / width;
    return { rows, columns: names, numeric: out, strings: noColumns, tensors: noColumns };
  };

  return {
    positional,
    fromMatrix,
    fromDecoded(rows) {
      if (rows.width !== width || (rows.features && hasFeaturesField)) return undefined;
      const keys = rows.names;
      if (keys === undefined) return fromMatrix(rows.values, true);
      const column = columnsOfKeys(keys);
      if (column === null) return undefined;
      if (column === IN_ORDER) return fromMatrix(rows.values, true);
      const v = rows.values;
      const out = new Float64Array(v.length);
      for (let at = 0; at < v.length; at += width)
        for (let j = 0; j < width; j++) out[at + column[j]] = v[at + j];
      return fromMatrix(out, true);
    },
    toTable(rows, path) {
      const n = rows.length;
      if (fast) {
        const out = new Float64Array(n * width);
        if (fast(rows, out))
          return { rows: n, columns: names, numeric: out, strings: noColumns, tensors: noColumns };
      }
      numeric = new Float64Array(n * width);
      strings = isString.map((s) => (s ? new Array<string | null>(n).fill(null) : undefined));
      tensors = tensorShapes.map((s) => (s ? new Float64Array(n * shapeSize(s)) : undefined));
      const issues: FieldIssue[] = [];
      for (let r = 0; r < n; r++) writeRow(rows[r], r, path === "" ? "" : `${path}[${r}]`, issues);
      if (issues.length > 0) throw Errors.invalidInput(issues);
      return {
        rows: n,
        columns: names,
        numeric,
        strings,
        tensors: tensors.map((t, i) => (t ? { shape: tensorShapes[i]!, data: t } : undefined)),
      };
    },
  };
}

/** Builds a table from rows in one call (for tests and offline scoring). */
export function tableFromRows(signature: ModelSignature, rows: readonly unknown[]): FeatureTable {
  return compileValidator(signature).toTable(rows, "rows");
}
