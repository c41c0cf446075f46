/**
 * @module The Open Inference Protocol (V2) tensor datatypes: names, element sizes in raw (binary)
 * contents, and the value range of integer types, so a tensor can be checked before it is used.
 */

/** A V2 tensor datatype. */
export type Datatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

/** Facts about one datatype. */
export interface DatatypeInfo {
  /** Bytes per element in raw contents (0 for BYTES, whose elements are length-prefixed). */
  readonly size: number;
  /** `int` for integer types (checked against `min`/`max`), `float`, `bool` or `bytes`. */
  readonly kind: "int" | "float" | "bool" | "bytes";
  readonly min?: number;
  readonly max?: number;
}

/** Every datatype the protocol defines, with its facts. */
export const DATATYPES: Readonly<Record<Datatype, DatatypeInfo>> = {
  BOOL: { size: 1, kind: "bool" },
  UINT8: { size: 1, kind: "int", min: 0, max: 255 },
  UINT16: { size: 2, kind: "int", min: 0, max: 65535 },
  UINT32: { size: 4, kind: "int", min: 0, max: 4294967295 },
  // 64-bit integers travel as JSON numbers or are read as doubles: exact up to 2^53.
  UINT64: { size: 8, kind: "int", min: 0, max: 2 ** 64 - 1 },
  INT8: { size: 1, kind: "int", min: -128, max: 127 },
  INT16: { size: 2, kind: "int", min: -32768, max: 32767 },
  INT32: { size: 4, kind: "int", min: -2147483648, max: 2147483647 },
  INT64: { size: 8, kind: "int", min: -(2 ** 63), max: 2 ** 63 - 1 },
  FP16: { size: 2, kind: "float" },
  FP32: { size: 4, kind: "float" },
  FP64: { size: 8, kind: "float" },
  BYTES: { size: 0, kind: "bytes" },
};

/** Whether a string names a datatype of the protocol. */
export function isDatatype(s: unknown): s is Datatype {
  return typeof s === "string" && Object.hasOwn(DATATYPES, s);
}

/** Decodes an IEEE 754 half-precision value (FP16 raw contents). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
