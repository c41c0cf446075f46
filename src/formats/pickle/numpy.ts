/**
 * @module numpy dtypes and array payloads: type strings (`<f8`, `|V56`, `<U5`), structured records,
 * byte orders, C and Fortran layouts — decoded into typed arrays without running numpy.
 */

import type { NdArray, NdData, NpDtype, PyValue } from "./py-objects.ts";

/** Raised for malformed numpy data; the VM turns it into a ModelServeError. */
export class NumpyError extends Error {
  /** `limit` when a safety bound (not a malformed layout) refused the data. */
  readonly reason: "malformed" | "limit";
  constructor(message: string, reason: "malformed" | "limit" = "malformed") {
    super(message);
    this.reason = reason;
  }
}

/**
 * Most fields a structured dtype may declare. scikit-learn's own record dtypes (tree nodes,
 * HistGradientBoosting predictor nodes) have at most about a dozen.
 */
export const MAX_STRUCT_FIELDS = 256;

/** Most field reads (records × fields) one structured array may take: 128 Mi, ~16 M tree nodes. */
export const MAX_FIELD_WORK = 2 ** 27;

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
    if (names.items.length > MAX_STRUCT_FIELDS)
      throw new NumpyError(
        `a structured dtype declares ${names.items.length} fields (at most ${MAX_STRUCT_FIELDS})`,
        "limit",
      );
    const seenNames = new Set<string>();
    fields = names.items.map((n) => {
      if (typeof n !== "string" || seenNames.has(n))
        throw new NumpyError(`structured dtype field name ${String(n)} is not a unique string`);
      seenNames.add(n);
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
  const itemsize = body[0] === "V" ? elsize : d.itemsize || elsize;
  if (fields) checkFieldLayout(fields, itemsize);
  return {
    kind: "dtype",
    str: `${order}${body}`,
    itemsize,
    ...(fields ? { fields } : {}),
  };
}

/**
 * Refuses a record layout that would read outside a record or decode the same bytes twice: every
 * field a simple, non-empty dtype, at a non-negative offset, inside the item, and no two overlapping.
 * (numpy allows overlapping "union" fields; no fitted estimator uses them, and they multiply work.)
 */
function checkFieldLayout(
  fields: readonly { name: string; dtype: NpDtype; offset: number }[],
  itemsize: number,
) {
  if (!Number.isInteger(itemsize) || itemsize <= 0)
    throw new NumpyError(`a structured dtype has an item size of ${itemsize} bytes`);
  const spans = fields.map((f) => {
    const size = f.dtype.itemsize;
    if (f.dtype.fields) throw new NumpyError(`structured dtype field ${f.name} is itself structured`);
    if (!Number.isInteger(size) || size <= 0)
      throw new NumpyError(`structured dtype field ${f.name} has a size of ${size} bytes`);
    if (!Number.isInteger(f.offset) || f.offset < 0 || f.offset + size > itemsize)
      throw new NumpyError(
        `structured dtype field ${f.name} spans bytes ${f.offset}..${f.offset + size} of a ${itemsize}-byte record`,
      );
    return [f.offset, f.offset + size, f.name] as const;
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++)
    if (spans[i][0] < spans[i - 1][1])
      throw new NumpyError(`structured dtype fields ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
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

/**
 * Refuses a zero-size item type holding elements: `U0`/`S0`/`V0` arrays pass any byte check (0 bytes
 * each) yet would be decoded element by element, billions of times.
 */
export function checkItemSize(d: NpDtype, count: number): void {
  if (count > 0 && d.str[1] !== "O" && (!Number.isInteger(d.itemsize) || d.itemsize <= 0))
    throw new NumpyError(`an array of ${count} elements of the zero-size dtype ${d.str}`);
}

/** Copies `width` words at `offset` of each `stride`-word record of `src` into `dst`, record after record. */
function gatherWords(
  src: Uint32Array,
  stride: number,
  offset: number,
  width: number,
  count: number,
  dst: Uint32Array,
): void {
  if (width === 2) {
    for (let i = 0, s = offset, o = 0; i < count; i++, s += stride, o += 2) {
      dst[o] = src[s];
      dst[o + 1] = src[s + 1];
    }
    return;
  }
  for (let i = 0, s = offset, o = 0; i < count; i++, s += stride)
    for (let w = 0; w < width; w++) dst[o++] = src[s + w];
}

/** Builds an array from raw bytes in the given order. */
export function arrayFromBytes(
  d: NpDtype,
  shape: readonly number[],
  bytes: Uint8Array,
  fortran: boolean,
): NdArray {
  const count = sizeOf(shape);
  checkItemSize(d, count);
  if (d.fields) {
    // Fields do not overlap (checked with the dtype), so this is bounded by the bytes present too.
    if (d.fields.length * count > MAX_FIELD_WORK)
      throw new NumpyError(
        `a structured array of ${count} records × ${d.fields.length} fields exceeds ${MAX_FIELD_WORK} field reads`,
        "limit",
      );
    const need = count * d.itemsize;
    if (bytes.byteLength < need)
      throw new NumpyError(`structured array has ${bytes.byteLength} bytes, ${need} expected`);
    const fields = new Map<string, NdData>();
    // The records copied once to an aligned buffer, read as 32-bit words by the fields that allow it.
    let words: Uint32Array | undefined;
    for (const f of d.fields) {
      // Gather the field's bytes record by record, then decode them as a column.
      // No subarray per record: millions of records allocate nothing here.
      const size = f.dtype.itemsize;
      const col = new Uint8Array(count * size);
      if (size % 4 === 0 && f.offset % 4 === 0 && d.itemsize % 4 === 0) {
        // Whole words (bit copies, so any NaN payload is kept): a quarter of the byte loop's steps,
        // which matters most at start-up, where this loop runs before the JIT has compiled it.
        words ??= new Uint32Array(bytes.slice(0, need).buffer);
        gatherWords(words, d.itemsize / 4, f.offset / 4, size / 4, count, new Uint32Array(col.buffer));
      } else {
        for (let i = 0, src = f.offset, dst = 0; i < count; i++, src += d.itemsize) {
          for (let b = 0; b < size; b++) col[dst++] = bytes[src + b];
        }
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
