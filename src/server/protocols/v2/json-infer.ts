/**
 * @module The Open Inference Protocol's JSON infer body read straight from its bytes when it is plain: an
 * object of `inputs` (and an optional `id`), each input an object of `name`, `shape`, `datatype` and flat
 * `data` of numbers, its strings printable ASCII without escapes. The numbers of each tensor go into one
 * `Float64Array` (`schema/json-rows.ts` reads them, bit for bit as `JSON.parse`), with no JSON value made
 * per element. Anything else — `parameters`, `outputs`, nested `data`, a `null`, a boolean or a string
 * among the data, a key twice, another key — answers undefined, and the body is parsed as before. What it
 * answers has the shape `JSON.parse` gives (`data` a `Float64Array`), for `decodeInferBody`, whose checks
 * and errors are then the same as for the parsed body.
 */

import type { Buffer } from "node:buffer";
import { onlySpaceFrom, plainStringEnd, readNumber, skipSpace } from "../../../schema/json-rows.ts";
import { DATATYPES } from "./datatypes.ts";

/** A plain input tensor as read; a key the body lacks is absent, as in the parsed body. */
export interface PlainTensor {
  name?: string;
  shape?: number[];
  datatype?: string;
  data?: Float64Array;
}

/** A plain infer body as read. */
export interface PlainInferBody {
  id?: string;
  inputs: PlainTensor[];
}

/**
 * Where numbers are read before they are copied out (a tensor's own `data`, a `shape`'s plain array).
 * Reading is synchronous, so one buffer serves every request; grown as a body needs, and dropped again
 * once larger than {@link KEEP} numbers so that one large body does not hold its memory for good.
 */
let scratch = new Float64Array(64);
const KEEP = 1 << 16;

/** How many numbers the last {@link readNumbers} read. */
let count = 0;

/** Index after `[n, …]` at `i` (its `[`), its numbers the first {@link count} of {@link scratch}; -1 for anything else. */
function readNumbers(b: Buffer, i: number): number {
  if (b[i] !== 91) return -1;
  i = skipSpace(b, i + 1);
  count = 0;
  if (b[i] === 93) return i + 1;
  // Locals, not the module's, in the loop: it runs once per element.
  let values = scratch;
  let n = 0;
  for (;;) {
    if (n === values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
      scratch = grown;
    }
    i = readNumber(b, i, values, n);
    if (i === -1) return -1;
    n++;
    let c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    i++;
    if (c === 93) {
      count = n;
      return i;
    }
    if (c !== 44) return -1;
    c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
  }
}

/** The numbers just read, as the tensor's own array. */
function takeNumbers(): Float64Array {
  // A few numbers (a row's) are copied by hand: a typed array's `slice` costs more than the copy.
  if (count > 16) return scratch.slice(0, count);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = scratch[k];
  return out;
}

// The keys a plain body may hold, told apart by their bytes (no string is made for a key).
const OTHER = 0;
const ID = 1;
const INPUTS = 2;
const NAME = 3;
const SHAPE = 4;
const DATATYPE = 5;
const DATA = 6;

/** Whether the `word.length` bytes from `at` spell `word` (ASCII). */
function spells(b: Buffer, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Which key the plain string from `i` (its `"`) to `end` (after its closing `"`) is. */
function keyOf(b: Buffer, i: number, end: number): number {
  const at = i + 1;
  switch (end - i - 2) {
    case 2:
      return spells(b, at, "id") ? ID : OTHER;
    case 4:
      return spells(b, at, "name") ? NAME : spells(b, at, "data") ? DATA : OTHER;
    case 5:
      return spells(b, at, "shape") ? SHAPE : OTHER;
    case 6:
      return spells(b, at, "inputs") ? INPUTS : OTHER;
    case 8:
      return spells(b, at, "datatype") ? DATATYPE : OTHER;
    default:
      return OTHER;
  }
}

/**
 * The protocol's datatype names, made once: a body's `datatype` is one of them nearly always. The float
 * ones first, as numeric tensors nearly always are.
 */
const DATATYPE_NAMES: readonly string[] = [
  "FP32",
  "FP64",
  ...Object.keys(DATATYPES).filter((d) => d !== "FP32" && d !== "FP64"),
];
/**
 * Tensor names read lately, made once: clients send the same names request after request (one per
 * feature with the per-feature convention). A name longer than 64 bytes is not kept.
 */
const names: string[] = [];
const NAMES_KEPT = 64;

/** The one of `known` that the plain string from `i` (its `"`) to `end` (after its `"`) spells, if any. */
function knownText(b: Buffer, i: number, end: number, known: readonly string[]): string | undefined {
  const n = end - i - 2;
  for (let k = 0; k < known.length; k++) {
    const word = known[k];
    if (word.length === n && spells(b, i + 1, word)) return word;
  }
  return undefined;
}

/** The tensor name from `i` (its `"`) to `end` (after its closing `"`): a kept one, or a new one kept. */
function nameOf(b: Buffer, i: number, end: number): string {
  const kept = knownText(b, i, end, names);
  if (kept !== undefined) return kept;
  const name = b.toString("latin1", i + 1, end - 1);
  if (name.length <= 64) {
    if (names.length === NAMES_KEPT) names.pop();
    names.unshift(name);
  }
  return name;
}

/** Index after `:` and the whitespace after it, from just after a key; -1 without the colon. */
function afterColon(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  return b[i] === 58 ? skipSpace(b, i + 1) : -1;
}

/** Whether the last {@link nextMember} met the closing bracket rather than a comma. */
let closed = false;

/**
 * Index after the `,` or the closing bracket (`close`) that follows a member or an element at `i`,
 * and after the whitespace that follows it; {@link closed} tells which it was. -1 for anything else.
 */
function nextMember(b: Buffer, i: number, close: number): number {
  i = skipSpace(b, i);
  const c = b[i];
  closed = c === close;
  if (!closed && c !== 44) return -1;
  return skipSpace(b, i + 1);
}

/** Index after one input tensor at `i` (its `{`), pushed onto `inputs`; -1 for anything but a plain tensor. */
function readTensor(b: Buffer, i: number, inputs: PlainTensor[]): number {
  if (b[i] !== 123) return -1;
  i = skipSpace(b, i + 1);
  let name: string | undefined;
  let datatype: string | undefined;
  let shape: number[] | undefined;
  let data: Float64Array | undefined;
  if (b[i] !== 125)
    for (;;) {
      const keyEnd = plainStringEnd(b, i);
      if (keyEnd === -1) return -1;
      const key = keyOf(b, i, keyEnd);
      i = afterColon(b, keyEnd);
      if (i === -1) return -1;
      if ((key === NAME && name === undefined) || (key === DATATYPE && datatype === undefined)) {
        const end = plainStringEnd(b, i);
        if (end === -1) return -1;
        if (key === NAME) name = nameOf(b, i, end);
        else datatype = knownText(b, i, end, DATATYPE_NAMES) ?? b.toString("latin1", i + 1, end - 1);
        i = end;
      } else if ((key === SHAPE && shape === undefined) || (key === DATA && data === undefined)) {
        i = readNumbers(b, i);
        if (i === -1) return -1;
        if (key === DATA) data = takeNumbers();
        else {
          shape = new Array<number>(count);
          for (let k = 0; k < count; k++) shape[k] = scratch[k];
        }
      } else return -1;
      i = nextMember(b, i, 125);
      if (i === -1) return -1;
      if (closed) break;
    }
  else i = skipSpace(b, i + 1);
  // Only the keys the body holds, as in the parsed body (all four nearly always: one shape for those).
  if (name !== undefined && shape !== undefined && datatype !== undefined && data !== undefined) {
    inputs.push({ name, shape, datatype, data });
    return i;
  }
  const t: PlainTensor = {};
  if (name !== undefined) t.name = name;
  if (shape !== undefined) t.shape = shape;
  if (datatype !== undefined) t.datatype = datatype;
  if (data !== undefined) t.data = data;
  inputs.push(t);
  return i;
}

/** Index after the list of tensors at `i` (its `[`), each pushed onto `inputs`; -1 for anything else. */
function readInputs(b: Buffer, i: number, inputs: PlainTensor[]): number {
  if (b[i] !== 91) return -1;
  i = skipSpace(b, i + 1);
  if (b[i] === 93) return i + 1;
  for (;;) {
    i = readTensor(b, i, inputs);
    if (i === -1) return -1;
    i = nextMember(b, i, 93);
    if (i === -1) return -1;
    if (closed) return i;
  }
}

/** Reads a plain infer body, or answers undefined (the body is then parsed as before). */
export function decodePlainInfer(b: Buffer): PlainInferBody | undefined {
  const body = readBody(b);
  if (scratch.length > KEEP) scratch = new Float64Array(64);
  return body;
}

/** {@link decodePlainInfer}'s reading, from the body's first byte. */
function readBody(b: Buffer): PlainInferBody | undefined {
  let i = skipSpace(b, 0);
  if (b[i] !== 123) return undefined;
  i = skipSpace(b, i + 1);
  let id: string | undefined;
  let inputs: PlainTensor[] | undefined;
  if (b[i] !== 125)
    for (;;) {
      const keyEnd = plainStringEnd(b, i);
      if (keyEnd === -1) return undefined;
      const key = keyOf(b, i, keyEnd);
      i = afterColon(b, keyEnd);
      if (i === -1) return undefined;
      if (key === ID && id === undefined) {
        const end = plainStringEnd(b, i);
        if (end === -1) return undefined;
        id = b.toString("latin1", i + 1, end - 1);
        i = end;
      } else if (key === INPUTS && inputs === undefined) {
        inputs = [];
        i = readInputs(b, i, inputs);
        if (i === -1) return undefined;
      } else return undefined;
      i = nextMember(b, i, 125);
      if (i === -1) return undefined;
      if (closed) break;
    }
  else i += 1;
  if (inputs === undefined || !onlySpaceFrom(b, i)) return undefined;
  return id === undefined ? { inputs } : { id, inputs };
}
