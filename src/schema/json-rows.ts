/**
 * @module Rows of numbers read straight from a JSON body's bytes: `{"instances": [[n, …], …]}` and
 * `{"features": [n, …]}` go into one row-major `Float64Array`, with no string, object or array made per
 * row or value. On a 1000-row batch of 30 features, decoding the body to text, `JSON.parse` and the table
 * built from its arrays took ~2.6 µs a row, more than a quarter of what the server spends on it.
 *
 * The reader takes a strict subset of JSON: those two shapes, numbers and JSON whitespace. Anything
 * else — another key, a key spelt with an escape, `null`, a string, a ragged or empty row, more rows than
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
}

// Exact powers of ten (10^22 is the last one a double holds exactly), parsed rather than computed.
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const INSTANCES = [...'"instances"'].map((c) => c.charCodeAt(0));
const FEATURES = [...'"features"'].map((c) => c.charCodeAt(0));

/** Index of the first byte from `i` that is not JSON whitespace. */
function skipSpace(b: Buffer, i: number): number {
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
  if (b[i] !== 125) return false;
  i++;
  const n = b.length;
  while (i < n) {
    const c = b[i++];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
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
    const start = i;
    let negative = false;
    if (c === 45) {
      negative = true;
      c = b[++i];
    }
    // The significant digits as an integer (exact while there are at most 15 of them), and how many
    // of them follow the point.
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
    let v: number;
    if (digits <= 15 && e >= -22 && e <= 22) {
      v = e < 0 ? w / POW10[-e] : e === 0 ? w : w * POW10[e];
      if (negative) v = -v;
    } else {
      v = Number(b.toString("latin1", start, i));
      // 1e400: JSON.parse's Infinity, which the general path refuses with its own words.
      if (!Number.isFinite(v)) return -1;
    }
    out[at + col] = v;
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    if (++col === width) return c === 93 ? i + 1 : -1;
    if (c !== 44) return -1;
    c = b[++i];
  }
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
 * Reads `{"instances": [[n, …], …]}` of at most `maxRows` rows of equal width, or answers undefined (the
 * body then takes the general path).
 */
export function decodeInstances(b: Buffer, maxRows: number): DecodedRows | undefined {
  let i = openObject(b, INSTANCES);
  if (i === -1 || b[i] !== 91) return undefined;
  i = skipSpace(b, i + 1);
  const width = rowWidth(b, i);
  if (width === 0) return undefined;
  // Room for the rows the body's length suggests (every row about as long as the first), grown when
  // they are shorter.
  const first = b.indexOf(93, i) - i + 2;
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
    i = readRow(b, i, width, out, rows * width);
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
  return { values, rows, width, features: false };
}

/** Reads `{"features": [n, …]}`, or answers undefined (the body then takes the general path). */
export function decodeFeatures(b: Buffer): DecodedRows | undefined {
  const i = openObject(b, FEATURES);
  if (i === -1) return undefined;
  const width = rowWidth(b, i);
  if (width === 0) return undefined;
  const values = new Float64Array(width);
  const end = readRow(b, i, width, values, 0);
  if (end === -1 || !closesObject(b, skipSpace(b, end))) return undefined;
  return { values, rows: 1, width, features: true };
}
