/**
 * @module numpy dtypes and array payloads: type strings (`<f8`, `|V56`, `<U5`), structured records,
 * byte orders, C and Fortran layouts — decoded into typed arrays without running numpy.
 */

import type { NdArray, NdData, NpDtype, PyValue } from "./py-objects.ts";

/** Raised for malformed numpy data; the VM turns it into a ModelServeError. */
export class NumpyError extends Error {}

/** A dtype from `numpy.dtype(typestr, …)` before its BUILD state sets byte order and fields. */
export function dtypeFromTypestr(typestr: string): NpDtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(\[.*\])?$/.exec(typestr);
  if (!m) throw new NumpyError(`unknown dtype "${typestr}"`);
  const kind = m[2];
  let size = m[3] === "" ? 0 : Number(m[3]);
  if (kind === "U") size *= 4;
  const order =
    m[1] === ""
      ? kind === "O" || kind === "V" || kind === "S" || kind === "b" || size === 1
        ? "|"
        : "<"
      : m[1];
  return { kind: "dtype", str: `${order === "=" ? "<" : order}${kind}${m[3]}${m[4] ?? ""}`, itemsize: size };
}

/**
 * Applies a dtype's pickled state `(version, byteorder, subarray, names, fields, elsize, alignment, flags)`.
 */
export function dtypeWithState(d: NpDtype, state: PyValue): NpDtype {
  if (typeof state !== "object" || state === null || !("kind" in state) || state.kind !== "tuple") return d;
  const items = state.items;
  const order = typeof items[1] === "string" ? (items[1] === "=" ? "<" : items[1]) : d.str[0];
  const body = d.str.replace(/^[<>|=]/, "");
  const names = items[3];
  const fieldsDict = items[4];
  const elsize = typeof items[5] === "number" && items[5] > 0 ? items[5] : d.itemsize;
  let fields: { name: string; dtype: NpDtype; offset: number }[] | undefined;
  if (
    names &&
    typeof names === "object" &&
    "kind" in names &&
    names.kind === "tuple" &&
    fieldsDict &&
    typeof fieldsDict === "object" &&
    "kind" in fieldsDict &&
    fieldsDict.kind === "dict"
  ) {
    fields = names.items.map((n) => {
      const entry = fieldsDict.map.get(n as string);
      if (!entry || typeof entry !== "object" || !("kind" in entry) || entry.kind !== "tuple") {
        throw new NumpyError(`structured dtype field ${String(n)} has no layout`);
      }
      const [fd, off] = entry.items;
      if (
        !fd ||
        typeof fd !== "object" ||
        !("kind" in fd) ||
        fd.kind !== "dtype" ||
        typeof off !== "number"
      ) {
        throw new NumpyError(`structured dtype field ${String(n)} is malformed`);
      }
      return { name: String(n), dtype: fd, offset: off };
    });
  }
  return {
    kind: "dtype",
    str: `${order}${body}`,
    itemsize: body[0] === "V" ? elsize : d.itemsize || elsize,
    ...(fields ? { fields } : {}),
  };
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes `count` elements of a simple (non-structured, non-object) dtype from bytes. */
function decodeSimple(d: NpDtype, bytes: Uint8Array, count: number): NdData {
  const order = d.str[0];
  const kind = d.str[1];
  const size = d.itemsize;
  const need = count * size;
  if (bytes.byteLength < need)
    throw new NumpyError(`array data has ${bytes.byteLength} bytes, ${need} expected`);
  if (kind === "U") {
    const out: PyValue[] = new Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, need);
    for (let i = 0; i < count; i++) {
      let s = "";
      for (let c = 0; c < size / 4; c++) {
        const cp = view.getUint32(i * size + c * 4, order !== ">");
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      out[i] = s;
    }
    return out;
  }
  if (kind === "S" || kind === "V") {
    const out: PyValue[] = new Array(count);
    for (let i = 0; i < count; i++) {
      let end = (i + 1) * size;
      if (kind === "S") while (end > i * size && bytes[end - 1] === 0) end--;
      out[i] = bytes.slice(i * size, end);
    }
    return out;
  }
  // Copy into an aligned buffer, swapping bytes when the data is big-endian.
  const copy = new Uint8Array(bytes.subarray(0, need));
  if (size > 1 && (order === ">") === LITTLE) {
    for (let i = 0; i < need; i += size) copy.subarray(i, i + size).reverse();
  }
  const buf = copy.buffer;
  switch (`${kind}${size}`) {
    case "f8":
      return new Float64Array(buf);
    case "f4":
      return new Float32Array(buf);
    case "f2": {
      const h = new Uint16Array(buf);
      return Float32Array.from(h, halfToFloat);
    }
    case "i8":
      return new BigInt64Array(buf);
    case "u8":
      return new BigUint64Array(buf);
    case "i4":
      return new Int32Array(buf);
    case "u4":
      return new Uint32Array(buf);
    case "i2":
      return new Int16Array(buf);
    case "u2":
      return new Uint16Array(buf);
    case "i1":
      return new Int8Array(buf);
    case "u1":
    case "b1":
      return new Uint8Array(buf);
    case "M8":
    case "m8":
      return new BigInt64Array(buf);
    default:
      throw new NumpyError(`dtype ${d.str} is not supported`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Reorders Fortran-ordered elements into C order. */
function fortranToC<T extends NdData>(data: T, shape: readonly number[]): T {
  if (shape.length < 2) return data;
  const n = data.length;
  const out = (Array.isArray(data) ? new Array(n) : new (data.constructor as new (n: number) => T)(n)) as T;
  const strides = new Array(shape.length);
  let acc = 1;
  for (let i = 0; i < shape.length; i++) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const idx = new Array(shape.length).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let i = 0; i < shape.length; i++) f += idx[i] * strides[i];
    (out as unknown as unknown[])[c] = (data as unknown as unknown[])[f];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** Number of elements of a shape, refusing absurd ones. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new NumpyError(`invalid array shape [${shape.join(", ")}]`);
    n *= d;
  }
  if (n > 2 ** 32) throw new NumpyError(`array of ${n} elements is too large`);
  return n;
}

/** Builds an array from raw bytes in the given order. */
export function arrayFromBytes(
  d: NpDtype,
  shape: readonly number[],
  bytes: Uint8Array,
  fortran: boolean,
): NdArray {
  const count = sizeOf(shape);
  if (d.fields) {
    const need = count * d.itemsize;
    if (bytes.byteLength < need)
      throw new NumpyError(`structured array has ${bytes.byteLength} bytes, ${need} expected`);
    const fields = new Map<string, NdData>();
    for (const f of d.fields) {
      // Gather the field's bytes record by record, then decode them as a column.
      const col = new Uint8Array(count * f.dtype.itemsize);
      for (let i = 0; i < count; i++) {
        col.set(
          bytes.subarray(i * d.itemsize + f.offset, i * d.itemsize + f.offset + f.dtype.itemsize),
          i * f.dtype.itemsize,
        );
      }
      fields.set(
        f.name,
        fortran ? fortranToC(decodeSimple(f.dtype, col, count), shape) : decodeSimple(f.dtype, col, count),
      );
    }
    return { kind: "ndarray", dtype: d, shape, data: [], fields };
  }
  const data = decodeSimple(d, bytes, count);
  return { kind: "ndarray", dtype: d, shape, data: fortran ? fortranToC(data, shape) : data };
}

/** Builds an object array from its element list (always C order). */
export function objectArray(d: NpDtype, shape: readonly number[], items: readonly PyValue[]): NdArray {
  if (items.length !== sizeOf(shape))
    throw new NumpyError(`object array holds ${items.length} items for shape [${shape.join(", ")}]`);
  return { kind: "ndarray", dtype: d, shape, data: [...items] };
}

/** Decodes a numpy scalar's raw bytes. */
export function scalarFromBytes(d: NpDtype, bytes: Uint8Array): number | bigint | boolean | string {
  const data = decodeSimple(d, bytes, 1);
  const v = (data as ArrayLike<unknown>)[0];
  if (d.str[1] === "b") return v === 1;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "string") return v;
  return String(v);
}
