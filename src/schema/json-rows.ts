/**
 * @module Rows of numbers read straight from a JSON body's bytes: `{"features": [n, …]}`, a named row
 * `{"key": n, …}`, and `{"instances": [row, …]}` of either kind go into one row-major `Float64Array`, with
 * no string, object or array made per row or value (the native routes and KServe V1; the Open Inference
 * Protocol's plain bodies use the same number reader, `server/protocols/v2/json-infer.ts`). On a 1000-row
 * batch of 30 features, decoding the body to text, `JSON.parse` and the table built from its arrays took
 * ~2.6 µs a row, more than a quarter of what the server spends on it.
 *
 * The reader takes a strict subset of JSON: those shapes, numbers and JSON whitespace, keys of printable
 * ASCII without escapes. Anything else — another key, a key spelt with an escape, `null`, a string, a
 * ragged or empty row, named rows whose keys differ or come in another order, a key twice, more rows than
 * allowed, bytes that are not JSON — makes it answer `undefined`, and the body takes the general path
 * (`JSON.parse`, then the validator), whose answers and errors are then the only ones a client sees. A
 * body the reader takes is one `JSON.parse` takes, with the same shape and, value for value, the same
 * double: a decimal of at most 15 significant digits whose power of ten is within 10^±22 is converted
 * exactly (both it and the power of ten are exact doubles, so one multiplication or division rounds once,
 * correctly: Clinger's fast path); any other is converted by `Number`, V8's correctly rounded
 * conversion, which gives the one double `JSON.parse` gives.
 */

import type { Buffer } from "node:buffer";

/** Rows of numbers read from a JSON body. */
export interface DecodedRows {
  /** Row-major values, `rows × width` of them, owned by the caller. */
  readonly values: Float64Array;
  readonly rows: number;
  readonly width: number;
  /** The body was one `{"features": [...]}` row rather than a batch. */
  readonly features: boolean;
  /** Named rows: the keys, in the order each row spells them (a row's values are in that order). */
  readonly names?: readonly string[];
}

// Exact powers of ten (10^22 is the last one a double holds exactly), parsed rather than computed.
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const INSTANCES = [...'"instances"'].map((c) => c.charCodeAt(0));
const FEATURES = [...'"features"'].map((c) => c.charCodeAt(0));

/** Index of the first byte from `i` that is not JSON whitespace. */
export function skipSpace(b: Buffer, i: number): number {
  let c = b[i];
  while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
  return i;
}

/** Index after `{ "key" :` and the whitespace after it, or -1. */
function openObject(b: Buffer, key: readonly number[]): number {
  let i = skipSpace(b, 0);
  if (b[i] !== 123) return -1;
  i = skipSpace(b, i + 1);
  for (let k = 0; k < key.length; k++) if (b[i + k] !== key[k]) return -1;
  i = skipSpace(b, i + key.length);
  if (b[i] !== 58) return -1;
  return skipSpace(b, i + 1);
}

/** True when only whitespace follows `}` at `i`. */
function closesObject(b: Buffer, i: number): boolean {
  return b[i] === 125 && onlySpaceFrom(b, i + 1);
}

/**
 * The end (after its closing quote) of a string at `i` (its opening quote) of printable ASCII without
 * escapes, or -1 for any other string (or none).
 */
export function plainStringEnd(b: Buffer, i: number): number {
  if (b[i] !== 34) return -1;
  for (let k = i + 1, n = b.length; k < n; k++) {
    const c = b[k];
    if (c === 34) return k + 1;
    if (c === 92 || c < 32 || c > 126) return -1;
  }
  return -1;
}

/** True when nothing but whitespace is left from `i`. */
export function onlySpaceFrom(b: Buffer, i: number): boolean {
  const n = b.length;
  while (i < n) {
    const c = b[i++];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

/**
 * Reads one JSON number at `i` into `out[at]`. Returns the index after it, or -1 when the text there is
 * not a number (or is one `JSON.parse` reads as Infinity: 1e400, which the general path refuses).
 */
export function readNumber(b: Buffer, i: number, out: Float64Array, at: number): number {
  const start = i;
  let c = b[i];
  let negative = false;
  if (c === 45) {
    negative = true;
    c = b[++i];
  }
  // The significant digits as an integer (exact while there are at most 15 of them), and how many of
  // them follow the point.
  let w = 0;
  let digits = 0;
  let scale = 0;
  if (c === 48) c = b[++i];
  else if (c >= 49 && c <= 57) {
    do {
      w = w * 10 + (c - 48);
      digits++;
      c = b[++i];
    } while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46) {
    c = b[++i];
    if (!(c >= 48 && c <= 57)) return -1;
    do {
      w = w * 10 + (c - 48);
      scale++;
      c = b[++i];
    } while (c >= 48 && c <= 57);
    digits += scale;
  }
  let exponent = 0;
  if (c === 101 || c === 69) {
    c = b[++i];
    let down = false;
    if (c === 43 || c === 45) {
      down = c === 45;
      c = b[++i];
    }
    if (!(c >= 48 && c <= 57)) return -1;
    do {
      if (exponent < 100_000) exponent = exponent * 10 + (c - 48);
      c = b[++i];
    } while (c >= 48 && c <= 57);
    if (down) exponent = -exponent;
  }
  const e = exponent - scale;
  if (digits <= 15 && e >= -22 && e <= 22) {
    const v = e < 0 ? w / POW10[-e] : e === 0 ? w : w * POW10[e];
    out[at] = negative ? -v : v;
    return i;
  }
  const v = Number(b.toString("latin1", start, i));
  if (!Number.isFinite(v)) return -1;
  out[at] = v;
  return i;
}

/**
 * Reads `[n, …]` at `i` (its `[`), exactly `width` numbers, into `out` from `at`. Returns the index after
 * its `]`, or -1 when the text is anything else.
 */
function readRow(b: Buffer, i: number, width: number, out: Float64Array, at: number): number {
  if (b[i] !== 91) return -1;
  let c = b[++i];
  for (let col = 0; ; ) {
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    i = readNumber(b, i, out, at + col);
    if (i === -1) return -1;
    c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    if (++col === width) return c === 93 ? i + 1 : -1;
    if (c !== 44) return -1;
    c = b[++i];
  }
}

/**
 * Reads a named row `{"key": n, …}` at `i` (its `{`) into `out` from `at`. The first row of a body records
 * where its keys' bytes are (`keys`, start and end pairs; it starts empty) and may hold up to `out`'s room;
 * every later row must spell the same keys in the same order. Returns the index after its `}`, or -1.
 * A key with an escape, a control character or a byte that is not ASCII is left to the general path.
 */
function readNamedRow(b: Buffer, i: number, keys: number[], out: Float64Array, at: number): number {
  if (b[i] !== 123) return -1;
  const recording = keys.length === 0;
  const width = recording ? out.length - at : keys.length >> 1;
  let c = b[++i];
  for (let col = 0; ; ) {
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    if (c !== 34 || col === width) return -1;
    const start = i + 1;
    if (recording) {
      const end = plainStringEnd(b, i);
      if (end === -1) return -1;
      i = end - 1;
      keys.push(start, i);
    } else {
      const from = keys[2 * col];
      const length = keys[2 * col + 1] - from;
      for (let k = 0; k < length; k++) if (b[start + k] !== b[from + k]) return -1;
      i = start + length;
      if (b[i] !== 34) return -1;
    }
    c = b[++i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    if (c !== 58) return -1;
    c = b[++i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    i = readNumber(b, i, out, at + col);
    if (i === -1) return -1;
    c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    col++;
    if (c === 125) return recording || col === width ? i + 1 : -1;
    if (c !== 44) return -1;
    c = b[++i];
  }
}

/**
 * Room for a named row at `i` (its `{`): its colons up to its first `}` (at most 4096), or 0 when a `[`
 * or `{` comes first (a nested value: not a plain row; a key holding one is left to the general path).
 * It stops there rather than scanning a large body that is not a named row to its end.
 */
function namedRoom(b: Buffer, i: number): number {
  let colons = 0;
  for (let k = i + 1, n = b.length; k < n; k++) {
    const c = b[k];
    if (c === 125) return colons;
    if (c === 58) {
      if (++colons === 4096) return colons;
    } else if (c === 91 || c === 123) return 0;
  }
  return 0;
}

/** A key layout seen before: its keys' bytes (each followed by 127, a byte no key here has) and names. */
interface Layout {
  readonly bytes: Uint8Array;
  readonly names: readonly string[];
}

// The key layouts of recent named rows by a hash of their bytes: a service's clients send a few layouts
// over and over, and reading the same keys as strings again for every body cost more than JSON.parse.
// Bounded in count and in each layout's size.
const layouts = new Map<number, Layout>();
const MAX_LAYOUTS = 256;
const MAX_LAYOUT_BYTES = 4096;

/** Whether the keys at `keys` in `b` spell `layout`. */
function spells(layout: Layout, b: Buffer, keys: readonly number[]): boolean {
  const bytes = layout.bytes;
  let at = 0;
  for (let k = 0; k < keys.length; k += 2) {
    for (let j = keys[k]; j < keys[k + 1]; j++) if (bytes[at++] !== b[j]) return false;
    if (bytes[at++] !== 127) return false;
  }
  return at === bytes.length;
}

/**
 * The keys recorded by {@link readNamedRow}, as strings; undefined when one repeats (`JSON.parse` keeps
 * the last value of a repeated key, and the general path reads that).
 */
function keyNames(b: Buffer, keys: readonly number[]): readonly string[] | undefined {
  let hash = keys.length;
  let size = 0;
  for (let k = 0; k < keys.length; k += 2) {
    for (let j = keys[k]; j < keys[k + 1]; j++) hash = (Math.imul(hash, 31) + b[j]) | 0;
    size += keys[k + 1] - keys[k] + 1;
  }
  const seen = layouts.get(hash);
  if (seen !== undefined && spells(seen, b, keys)) return seen.names;
  const names: string[] = [];
  for (let k = 0; k < keys.length; k += 2) names.push(b.toString("latin1", keys[k], keys[k + 1]));
  if (new Set(names).size !== names.length) return undefined;
  if (size <= MAX_LAYOUT_BYTES) {
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let k = 0; k < keys.length; k += 2) {
      bytes.set(b.subarray(keys[k], keys[k + 1]), at);
      at += keys[k + 1] - keys[k];
      bytes[at++] = 127;
    }
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    layouts.set(hash, { bytes, names: Object.freeze(names) });
  }
  return names;
}

/**
 * How many values the row at `i` (its `[`) holds, counted by its commas, or 0 when its text is not
 * plain numbers, commas and whitespace (its numbers are checked when it is read).
 */
function rowWidth(b: Buffer, i: number): number {
  if (b[i] !== 91) return 0;
  const n = b.length;
  let commas = 0;
  for (let k = i + 1; k < n; k++) {
    const c = b[k];
    if (c === 93) return commas + 1;
    if (c === 44) commas++;
    else if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69 || c === 32))
      if (c !== 10 && c !== 13 && c !== 9) return 0;
  }
  return 0;
}

/**
 * Reads `{"instances": [row, …]}` of at most `maxRows` rows, all positional (`[n, …]`, of one width) or
 * all named (`{"key": n, …}`, the same keys in the same order), or answers undefined (the body then takes
 * the general path).
 */
export function decodeInstances(b: Buffer, maxRows: number): DecodedRows | undefined {
  let i = openObject(b, INSTANCES);
  if (i === -1 || b[i] !== 91) return undefined;
  i = skipSpace(b, i + 1);
  const named = b[i] === 123;
  const keys: number[] = [];
  let width: number;
  // Where the first row ends. A named first row is read once here to record its keys (every row,
  // this one included, is then read against them below).
  let firstEnd: number;
  if (named) {
    const room = namedRoom(b, i);
    firstEnd = room === 0 ? -1 : readNamedRow(b, i, keys, new Float64Array(room), 0);
    if (firstEnd === -1) return undefined;
    width = keys.length >> 1;
  } else {
    width = rowWidth(b, i);
    if (width === 0) return undefined;
    firstEnd = b.indexOf(93, i) + 1;
  }
  // Room for the rows the body's length suggests (every row about as long as the first), grown when
  // they are shorter.
  const first = firstEnd - i + 1;
  let capacity = Math.min(maxRows, Math.ceil(((b.length - i) / first) * 1.1) + 1);
  let out = new Float64Array(capacity * width);
  let rows = 0;
  for (;;) {
    if (rows === capacity) {
      if (rows === maxRows) return undefined;
      capacity = Math.min(maxRows, capacity * 2);
      const grown = new Float64Array(capacity * width);
      grown.set(out);
      out = grown;
    }
    i = named ? readNamedRow(b, i, keys, out, rows * width) : readRow(b, i, width, out, rows * width);
    if (i === -1) return undefined;
    rows++;
    i = skipSpace(b, i);
    const c = b[i];
    i = skipSpace(b, i + 1);
    if (c === 93) break;
    if (c !== 44) return undefined;
  }
  if (!closesObject(b, i)) return undefined;
  const used = rows * width;
  // A few spare rows are kept rather than copied away; many are not.
  const values =
    used === out.length ? out : used * 4 >= out.length * 3 ? out.subarray(0, used) : out.slice(0, used);
  if (!named) return { values, rows, width, features: false };
  const names = keyNames(b, keys);
  return names && { values, rows, width, features: false, names };
}

/**
 * Reads one row: `{"features": [n, …]}`, or a named row `{"key": n, …}`; or answers undefined (the body
 * then takes the general path).
 */
export function decodeRow(b: Buffer): DecodedRows | undefined {
  let i = openObject(b, FEATURES);
  if (i !== -1 && b[i] === 91) {
    const width = rowWidth(b, i);
    if (width === 0) return undefined;
    const values = new Float64Array(width);
    const end = readRow(b, i, width, values, 0);
    if (end === -1 || !closesObject(b, skipSpace(b, end))) return undefined;
    return { values, rows: 1, width, features: true };
  }
  i = skipSpace(b, 0);
  const room = namedRoom(b, i);
  if (room === 0) return undefined;
  const keys: number[] = [];
  const values = new Float64Array(room);
  // The row is the body: its `}` closes it.
  const end = readNamedRow(b, i, keys, values, 0);
  if (end === -1 || !onlySpaceFrom(b, end)) return undefined;
  const width = keys.length >> 1;
  const names = keyNames(b, keys);
  return (
    names && {
      values: width === room ? values : values.slice(0, width),
      rows: 1,
      width,
      features: false,
      names,
    }
  );
}
