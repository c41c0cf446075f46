/**
 * @module V2 input tensors, protocol-neutral: a name, a datatype, a shape and flat row-major values.
 * Decoders from the REST JSON form (flat or nested `data`) and from gRPC (typed contents or raw
 * little-endian bytes) check everything a client can get wrong before any large allocation: the
 * shape's element count must match the data actually sent, so a 10^7-element shape in a small body
 * costs nothing.
 */

import { Errors } from "../../../errors.ts";
import { DATATYPES, type Datatype, halfToNumber, isDatatype } from "./datatypes.ts";

/** One flat value of a tensor: a number (or `null`, a missing number), a boolean or a string. */
export type TensorValue = number | boolean | string | null;

/** A decoded input tensor. */
export interface InputTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** `product(shape)` values in row-major order. */
  readonly values: ArrayLike<TensorValue>;
}

/** The largest number of dimensions a tensor may declare. */
const MAX_DIMS = 16;

/**
 * Checks a declared shape and returns its element count. `available` is how many elements the
 * request actually carries, so an absurd shape is refused without being multiplied out in full.
 */
export function checkShape(name: string, shape: unknown, available: number): number {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > MAX_DIMS)
    throw Errors.invalidTensor(name, `"shape" must be a list of 1 to ${MAX_DIMS} non-negative integers`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
      throw Errors.invalidTensor(
        name,
        `"shape" must hold non-negative integers, got ${JSON.stringify(d) ?? String(d)}`,
      );
    n *= d;
  }
  if (n !== available)
    throw Errors.invalidTensor(
      name,
      `shape [${shape.join(", ")}] has ${n > 1e15 ? "too many" : n} elements but the data holds ${available}`,
    );
  return n;
}

function checkName(raw: unknown, index: number): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 256)
    throw Errors.invalidTensor(`inputs[${index}]`, `"name" must be a non-empty string`);
  return raw;
}

function checkDatatype(name: string, raw: unknown): Datatype {
  if (!isDatatype(raw))
    throw Errors.invalidTensor(
      name,
      `unknown datatype ${JSON.stringify(raw) ?? String(raw)}; use one of ${Object.keys(DATATYPES).join(", ")}`,
    );
  return raw;
}

const describe = (v: unknown): string =>
  v === null ? "null" : typeof v === "string" ? `the string ${JSON.stringify(v.slice(0, 40))}` : String(v);

/**
 * Checks one element against its datatype and returns the value to use. FP32 values are rounded to
 * float32 (what the client declared), so JSON and binary forms of one tensor give the same numbers.
 */
export function checkElement(name: string, dt: Datatype, v: unknown, i: number): TensorValue {
  const info = DATATYPES[dt];
  switch (info.kind) {
    case "float":
      if (typeof v === "number") return dt === "FP32" ? Math.fround(v) : v;
      if (v === null) return null;
      break;
    case "int":
      if (typeof v === "number" && Number.isInteger(v)) {
        if (v < info.min! || v > info.max!)
          throw Errors.invalidTensor(name, `element ${i} (${v}) is out of the range of ${dt}`);
        return v;
      }
      break;
    case "bool":
      if (typeof v === "boolean") return v;
      break;
    case "bytes":
      if (typeof v === "string") return v;
      break;
  }
  throw Errors.invalidTensor(name, `element ${i} is ${describe(v)}, which is not a valid ${dt} value`);
}

/** Flattens nested JSON data that must follow `shape` level by level. */
function flattenNested(name: string, dt: Datatype, data: unknown[], shape: readonly number[]): TensorValue[] {
  const out: TensorValue[] = [];
  const walk = (v: unknown, axis: number): void => {
    if (axis === shape.length) {
      if (Array.isArray(v)) throw Errors.invalidTensor(name, `data is nested deeper than the shape`);
      out.push(checkElement(name, dt, v, out.length));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis])
      throw Errors.invalidTensor(
        name,
        `nested data does not match shape [${shape.join(", ")}] on axis ${axis} (got ${Array.isArray(v) ? `${v.length} items` : describe(v)})`,
      );
    for (const item of v) walk(item, axis + 1);
  };
  walk(data, 0);
  return out;
}

/** Decodes one REST (JSON) input tensor: `{name, shape, datatype, parameters?, data}`. */
export function tensorFromJson(raw: unknown, index: number): InputTensor {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw Errors.invalidInferRequest(`inputs[${index}] must be an object`);
  const t = raw as Record<string, unknown>;
  const name = checkName(t.name, index);
  const datatype = checkDatatype(name, t.datatype);
  const shape = t.shape;
  if (!Array.isArray(shape))
    throw Errors.invalidTensor(name, `"shape" must be a list of non-negative integers`);
  if (t.parameters !== undefined) checkParameters(t.parameters, `inputs[${index}].parameters`);
  const data = t.data;
  if (data instanceof Float64Array) {
    // Numbers read straight from the body's bytes (json-infer.ts): what the parsed array would hold.
    checkShape(name, shape, data.length);
    if (DATATYPES[datatype].kind !== "float") {
      const values = new Array<TensorValue>(data.length);
      for (let i = 0; i < data.length; i++) values[i] = checkElement(name, datatype, data[i], i);
      return { name, datatype, shape: shape as number[], values };
    }
    if (datatype === "FP32") for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]);
    return { name, datatype, shape: shape as number[], values: data };
  }
  if (!Array.isArray(data)) throw Errors.invalidTensor(name, `"data" must be an array`);
  if (data.length > 0 && Array.isArray(data[0])) {
    // Nested: structure and shape are checked together; the first axis bounds the work.
    checkShapeDims(name, shape);
    const values = flattenNested(name, datatype, data, shape as number[]);
    return { name, datatype, shape: shape as number[], values };
  }
  checkShape(name, shape, data.length);
  const values = new Array<TensorValue>(data.length);
  for (let i = 0; i < data.length; i++) values[i] = checkElement(name, datatype, data[i], i);
  return { name, datatype, shape: shape as number[], values };
}

function checkShapeDims(name: string, shape: unknown[]): void {
  if (shape.length === 0 || shape.length > MAX_DIMS)
    throw Errors.invalidTensor(name, `"shape" must be a list of 1 to ${MAX_DIMS} non-negative integers`);
  for (const d of shape)
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
      throw Errors.invalidTensor(name, `"shape" must hold non-negative integers, got ${String(d)}`);
}

/** Checks a `parameters` object: string keys, values that are strings, numbers or booleans. */
export function checkParameters(raw: unknown, where: string): Readonly<Record<string, unknown>> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw Errors.invalidInferRequest(`${where} must be an object`);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!["string", "number", "boolean"].includes(typeof v))
      throw Errors.invalidInferRequest(`${where}.${k} must be a string, a number or a boolean`);
  }
  return raw as Record<string, unknown>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a BYTES element to text, refusing bytes that are not UTF-8. */
export function decodeUtf8(name: string, bytes: Uint8Array, i: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw Errors.invalidTensor(name, `BYTES element ${i} is not valid UTF-8 text`);
  }
}

/** Reads BYTES raw contents: each element is a 4-byte little-endian length, then that many bytes. */
function rawBytesElements(name: string, buf: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos < buf.byteLength) {
    if (pos + 4 > buf.byteLength) throw Errors.invalidTensor(name, "BYTES raw contents end inside a length");
    const len = view.getUint32(pos, true);
    pos += 4;
    if (pos + len > buf.byteLength)
      throw Errors.invalidTensor(name, `BYTES element ${out.length} runs past the end of the raw contents`);
    out.push(decodeUtf8(name, buf.subarray(pos, pos + len), out.length));
    pos += len;
  }
  return out;
}

/** Decodes raw (binary, little-endian) contents of one tensor, as gRPC `raw_input_contents` carry them. */
export function tensorFromRaw(name: string, datatype: unknown, shape: unknown, buf: Uint8Array): InputTensor {
  const dt = checkDatatype(name, datatype);
  if (dt === "BYTES") {
    const values = rawBytesElements(name, buf);
    checkShape(name, shape, values.length);
    return { name, datatype: dt, shape: shape as number[], values };
  }
  const size = DATATYPES[dt].size;
  if (buf.byteLength % size !== 0)
    throw Errors.invalidTensor(name, `raw contents of ${buf.byteLength} bytes are not whole ${dt} elements`);
  const n = checkShape(name, shape, buf.byteLength / size);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dt === "BOOL") {
    const values = new Array<boolean>(n);
    for (let i = 0; i < n; i++) values[i] = buf[i] !== 0;
    return { name, datatype: dt, shape: shape as number[], values };
  }
  const values = new Float64Array(n);
  // Little-endian hosts (all Node targets) read float tensors as typed-array views, copied when unaligned.
  const aligned = (size: number) =>
    buf.byteOffset % size === 0
      ? buf.buffer
      : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const offset = (size: number) => (buf.byteOffset % size === 0 ? buf.byteOffset : 0);
  switch (dt) {
    case "FP32":
      values.set(new Float32Array(aligned(4), offset(4), n));
      break;
    case "FP64":
      values.set(new Float64Array(aligned(8), offset(8), n));
      break;
    case "FP16":
      for (let i = 0; i < n; i++) values[i] = halfToNumber(view.getUint16(i * 2, true));
      break;
    case "INT8":
      for (let i = 0; i < n; i++) values[i] = view.getInt8(i);
      break;
    case "UINT8":
      for (let i = 0; i < n; i++) values[i] = view.getUint8(i);
      break;
    case "INT16":
      for (let i = 0; i < n; i++) values[i] = view.getInt16(i * 2, true);
      break;
    case "UINT16":
      for (let i = 0; i < n; i++) values[i] = view.getUint16(i * 2, true);
      break;
    case "INT32":
      for (let i = 0; i < n; i++) values[i] = view.getInt32(i * 4, true);
      break;
    case "UINT32":
      for (let i = 0; i < n; i++) values[i] = view.getUint32(i * 4, true);
      break;
    case "INT64":
      for (let i = 0; i < n; i++) values[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case "UINT64":
      for (let i = 0; i < n; i++) values[i] = Number(view.getBigUint64(i * 8, true));
      break;
  }
  return { name, datatype: dt, shape: shape as number[], values };
}

/** Which typed-contents field of gRPC's `InferTensorContents` carries each datatype. */
export const CONTENTS_FIELD: Readonly<Record<Datatype, string | undefined>> = {
  BOOL: "bool_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  FP16: undefined,
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

/** Decodes gRPC typed contents (`InferTensorContents`) of one tensor. */
export function tensorFromContents(
  name: string,
  datatype: unknown,
  shape: unknown,
  contents: Readonly<Record<string, unknown>> | null | undefined,
): InputTensor {
  const dt = checkDatatype(name, datatype);
  const field = CONTENTS_FIELD[dt];
  if (field === undefined) throw Errors.invalidTensor(name, `${dt} travels only in raw_input_contents`);
  const c = contents ?? {};
  for (const [k, v] of Object.entries(c)) {
    if (k !== field && Array.isArray(v) && v.length > 0)
      throw Errors.invalidTensor(name, `a ${dt} tensor carries its data in ${field}, not in ${k}`);
  }
  const list = (c[field] as readonly unknown[] | undefined) ?? [];
  const n = checkShape(name, shape, list.length);
  if (dt === "BYTES") {
    const values = new Array<string>(n);
    for (let i = 0; i < n; i++) values[i] = decodeUtf8(name, list[i] as Uint8Array, i);
    return { name, datatype: dt, shape: shape as number[], values };
  }
  const values = new Array<TensorValue>(n);
  for (let i = 0; i < n; i++) {
    const v = list[i];
    // Protobuf floats arrive as doubles of the float32 value; NaN stays NaN (checked per feature later).
    values[i] = typeof v === "number" && Number.isNaN(v) ? v : checkElement(name, dt, v, i);
  }
  return { name, datatype: dt, shape: shape as number[], values };
}
