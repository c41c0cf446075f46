/** @module Typed access to unpickled scikit-learn attributes, failing with the attribute's name. */

import type { NdArray, PyDict, PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import type { Label } from "../runtime.ts";

/** Raised when an attribute is missing or of the wrong kind; the runtime reports it as an invalid model. */
export class AttributeError extends Error {}

/** Whether a value is an instance record of a class. */
export function isObject(v: PyValue | undefined): v is PyObject {
  return typeof v === "object" && v !== null && "kind" in v && v.kind === "object";
}

/** Whether a value is an ndarray. */
export function isArray(v: PyValue | undefined): v is NdArray {
  return typeof v === "object" && v !== null && "kind" in v && v.kind === "ndarray";
}

/** The `__dict__` of an object. */
export function stateOf(o: PyObject): Map<PyDict["map"] extends Map<infer K, unknown> ? K : never, PyValue> {
  if (typeof o.state === "object" && o.state !== null && "kind" in o.state && o.state.kind === "dict")
    return o.state.map;
  if (typeof o.state === "object" && o.state !== null && "kind" in o.state && o.state.kind === "tuple") {
    const first = o.state.items[0];
    if (typeof first === "object" && first !== null && "kind" in first && first.kind === "dict")
      return first.map;
  }
  return new Map();
}

/** An attribute, or undefined. */
export function attr(o: PyObject, key: string): PyValue | undefined {
  return stateOf(o).get(key);
}

/** A required attribute. */
export function need(o: PyObject, key: string): PyValue {
  const v = stateOf(o).get(key);
  if (v === undefined) throw new AttributeError(`${o.name}.${key} is missing`);
  return v;
}

/** A number from a Python number, numpy scalar or 1-element array. */
export function num(v: PyValue | undefined, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "object" && v !== null && "kind" in v) {
    if (v.kind === "scalar") return Number(v.value);
    if (v.kind === "ndarray" && v.data.length === 1) return Number((v.data as ArrayLike<number | bigint>)[0]);
  }
  throw new AttributeError(`${what} is not a number`);
}

/** A string attribute value, or undefined when it is None. */
export function str(v: PyValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (
    typeof v === "object" &&
    v !== null &&
    "kind" in v &&
    v.kind === "scalar" &&
    typeof v.value === "string"
  )
    return v.value;
  return undefined;
}

/** A numeric array (any dtype) as float64, with its shape. */
export function floats(
  v: PyValue | undefined,
  what: string,
): { data: Float64Array; shape: readonly number[] } {
  if (!isArray(v)) {
    if (typeof v === "number") return { data: Float64Array.of(v), shape: [] };
    if (Array.isArray(v) && v.every((x) => typeof x === "number"))
      return { data: Float64Array.from(v as number[]), shape: [v.length] };
    if (
      typeof v === "object" &&
      v !== null &&
      "kind" in v &&
      v.kind === "tuple" &&
      v.items.every((x) => typeof x === "number")
    ) {
      return { data: Float64Array.from(v.items as number[]), shape: [v.items.length] };
    }
    throw new AttributeError(`${what} is not a numeric array`);
  }
  const d = v.data;
  if (d instanceof Float64Array) return { data: d, shape: v.shape };
  if (Array.isArray(d)) {
    if (d.every((x) => typeof x === "number" || typeof x === "bigint" || typeof x === "boolean")) {
      return { data: Float64Array.from(d, (x) => Number(x)), shape: v.shape };
    }
    throw new AttributeError(`${what} is not numeric`);
  }
  return { data: Float64Array.from(d as ArrayLike<number | bigint>, (x) => Number(x)), shape: v.shape };
}

/** Class labels, kept as their Python type (ints, floats, strings, booleans). */
export function labels(v: PyValue | undefined, what: string): Label[] {
  if (!isArray(v)) {
    if (Array.isArray(v)) return v.map((x) => (typeof x === "bigint" ? Number(x) : (x as Label)));
    throw new AttributeError(`${what} is not an array`);
  }
  const kind = v.dtype.str[1];
  const d = v.data;
  if (kind === "b") return Array.from(d as Uint8Array, (x) => x === 1);
  if (Array.isArray(d)) {
    return d.map((x) => {
      if (typeof x === "bigint") return Number(x);
      if (typeof x === "object" && x !== null && "kind" in x && x.kind === "scalar")
        return typeof x.value === "bigint" ? Number(x.value) : (x.value as Label);
      if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") return x;
      throw new AttributeError(`${what} holds a value that is not a label`);
    });
  }
  return Array.from(d as ArrayLike<number | bigint>, (x) => Number(x));
}

/** A list of strings (feature names), from an array or a list. */
export function strings(v: PyValue | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const items = isArray(v) ? (v.data as PyValue[]) : Array.isArray(v) ? v : undefined;
  if (!items || !Array.isArray(items)) return undefined;
  return items.map((x) =>
    String(typeof x === "object" && x !== null && "kind" in x && x.kind === "scalar" ? x.value : x),
  );
}

/** Whether a `_sklearn_version` string is at least major.minor. */
export function versionAtLeast(v: string | undefined, major: number, minor: number): boolean {
  if (!v) return false;
  const [a, b] = v.split(".").map((p) => Number.parseInt(p, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * Whether an unpickled object is a pickled XGBoost or LightGBM scikit-learn wrapper (served by
 * boosters.ts, imported only for such files: it brings both boosters' runtimes).
 */
export function isBoosterWrapper(v: unknown): v is PyObject {
  return (
    isObject(v as PyObject) &&
    /^(XGBClassifier|XGBRegressor|LGBMClassifier|LGBMRegressor)$/.test((v as PyObject).name)
  );
}
