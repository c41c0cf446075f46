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

/** Numbers read by {@link readNumbers}: the first `n` of `values`. */
interface Numbers {
  values: Float64Array;
  n: number;
}

/** Index after `[n, …]` at `i` (its `[`), its numbers in `into`; -1 for anything else. */
function readNumbers(b: Buffer, i: number, into: Numbers): number {
  if (b[i] !== 91) return -1;
  i = skipSpace(b, i + 1);
  if (b[i] === 93) return i + 1;
  // Locals, not the object's fields, in the loop: it runs once per element.
  let values = into.values;
  let n = 0;
  for (;;) {
    if (n === values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    i = readNumber(b, i, values, n);
    if (i === -1) return -1;
    n++;
    let c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    i++;
    if (c === 93) {
      into.values = values;
      into.n = n;
      return i;
    }
    if (c !== 44) return -1;
    c = b[i];
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
  }
}

/**
 * Reads the members of an object at `i` (its `{`), handing each key and the index of its value to
 * `member`, which answers the index after the value or -1. Returns the index after the `}`, or -1.
 */
function readObject(b: Buffer, i: number, member: (key: string, at: number) => number): number {
  if (b[i] !== 123) return -1;
  i = skipSpace(b, i + 1);
  if (b[i] === 125) return i + 1;
  for (;;) {
    const keyEnd = plainStringEnd(b, i);
    if (keyEnd === -1) return -1;
    const key = b.toString("latin1", i + 1, keyEnd - 1);
    i = skipSpace(b, keyEnd);
    if (b[i] !== 58) return -1;
    i = member(key, skipSpace(b, i + 1));
    if (i === -1) return -1;
    i = skipSpace(b, i);
    const c = b[i];
    i = skipSpace(b, i + 1);
    if (c === 125) return i;
    if (c !== 44) return -1;
  }
}

/** A plain string's value at `i` and the index after it, or undefined. */
function plainString(b: Buffer, i: number): { value: string; end: number } | undefined {
  const end = plainStringEnd(b, i);
  return end === -1 ? undefined : { value: b.toString("latin1", i + 1, end - 1), end };
}

/** Index after one input tensor at `i`, pushed onto `inputs`; -1 for anything but a plain tensor. */
function readTensor(b: Buffer, i: number, inputs: PlainTensor[]): number {
  const t: PlainTensor = {};
  const end = readObject(b, i, (key, at) => {
    if (key === "name" || key === "datatype") {
      if (t[key] !== undefined) return -1;
      const s = plainString(b, at);
      if (s === undefined) return -1;
      t[key] = s.value;
      return s.end;
    }
    if ((key === "shape" && t.shape === undefined) || (key === "data" && t.data === undefined)) {
      // Room for the numbers up to the array's end at four bytes each (grown when they are shorter):
      // never more than twice the array's own bytes, whatever the number of tensors.
      const end = b.indexOf(93, at);
      const room = key === "shape" || end === -1 ? 4 : ((end - at) >> 2) + 4;
      const sink: Numbers = { values: new Float64Array(room), n: 0 };
      const after = readNumbers(b, at, sink);
      if (after === -1) return -1;
      if (key === "shape") t.shape = Array.from(sink.values.subarray(0, sink.n));
      else t.data = sink.n === sink.values.length ? sink.values : sink.values.slice(0, sink.n);
      return after;
    }
    return -1;
  });
  if (end !== -1) inputs.push(t);
  return end;
}

/** Reads a plain infer body, or answers undefined (the body is then parsed as before). */
export function decodePlainInfer(b: Buffer): PlainInferBody | undefined {
  let id: string | undefined;
  let inputs: PlainTensor[] | undefined;
  const end = readObject(b, skipSpace(b, 0), (key, at) => {
    if (key === "id" && id === undefined) {
      const s = plainString(b, at);
      if (s === undefined) return -1;
      id = s.value;
      return s.end;
    }
    if (key !== "inputs" || inputs !== undefined || b[at] !== 91) return -1;
    const list: PlainTensor[] = [];
    inputs = list;
    let i = skipSpace(b, at + 1);
    if (b[i] === 93) return i + 1;
    for (;;) {
      i = readTensor(b, i, list);
      if (i === -1) return -1;
      i = skipSpace(b, i);
      const c = b[i];
      i = skipSpace(b, i + 1);
      if (c === 93) return i;
      if (c !== 44) return -1;
    }
  });
  if (end === -1 || inputs === undefined || !onlySpaceFrom(b, end)) return undefined;
  return id === undefined ? { inputs } : { id, inputs };
}
