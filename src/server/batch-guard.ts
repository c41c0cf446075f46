/**
 * @module Checks on a JSON body's raw text, before `JSON.parse` builds it: nesting deeper than a bound
 * (V8 parses 10⁵ nested arrays in about half a second, blocking every other request) and batches
 * with more rows than allowed in their top-level `instances` array (so 10⁶ tiny rows are refused
 * without building a million objects). One pass over the text, skipped entirely when cheap counts
 * (brackets, commas) already prove the body within bounds — the case of most single rows; a batch's
 * rows are jumped over between their brackets (the scan of a 1000-row batch cost as much as its
 * `JSON.parse` before).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 100;

/** What a scan found out of bounds. */
export type BodyProblem =
  | { readonly kind: "depth"; readonly depth: number }
  | { readonly kind: "rows"; readonly rows: number };

/** Index just past the string starting at `i` (a quote), or `text.length` when it is not closed. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function keyOf(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return raw;
  }
}

/** Whether `text` holds at least `n` occurrences of `ch` (stops counting at `n`). */
function atLeast(text: string, ch: string, n: number): boolean {
  if (n <= 0) return true;
  let count = 0;
  for (let j = text.indexOf(ch); j >= 0; j = text.indexOf(ch, j + 1)) if (++count >= n) return true;
  return false;
}

/**
 * Scans a JSON body: nesting past `maxDepth`, or (when `maxRows` is given) more than `maxRows`
 * elements in the top-level object's `instances` array. Returns the first problem, or undefined.
 * Malformed text gives some answer; `JSON.parse` reports the syntax error afterwards.
 */
export function checkBody(text: string, maxDepth: number, maxRows?: number): BodyProblem | undefined {
  // Cheap bounds: depth needs that many brackets, and rows need that many commas.
  const mayBeDeep =
    atLeast(text, "[", maxDepth + 1) ||
    atLeast(text, "{", maxDepth + 1) ||
    (atLeast(text, "[", (maxDepth + 1) >> 1) && atLeast(text, "{", (maxDepth + 1) >> 1));
  const mayBeLong = maxRows !== undefined && text.length > 2 * maxRows && atLeast(text, ",", maxRows);
  if (!mayBeDeep && !mayBeLong) return undefined;
  const n = text.length;
  let depth = 0;
  let expectingKey = false;
  let lastKey: string | undefined;
  // Inside the `instances` array: its rows so far (the array sits at depth 2).
  let inRows = false;
  let rows = 0;
  // Where commas do not count (inside a row, or below the top level elsewhere), the scan jumps to the
  // next bracket, brace or quote, found by indexOf (a native scan) and remembered until passed: a
  // 1000-row batch is then a few thousand jumps instead of a JavaScript step per character.
  let nextOpenBracket = -1;
  let nextCloseBracket = -1;
  let nextOpenBrace = -1;
  let nextCloseBrace = -1;
  let nextQuote = -1;
  const after = (ch: string, from: number): number => {
    const j = text.indexOf(ch, from);
    return j < 0 ? n : j;
  };
  let i = 0;
  while (i < n) {
    if (depth >= 3 || (depth === 2 && !inRows)) {
      if (nextOpenBracket < i) nextOpenBracket = after("[", i);
      if (nextCloseBracket < i) nextCloseBracket = after("]", i);
      if (nextOpenBrace < i) nextOpenBrace = after("{", i);
      if (nextCloseBrace < i) nextCloseBrace = after("}", i);
      if (nextQuote < i) nextQuote = after('"', i);
      i = Math.min(nextOpenBracket, nextCloseBracket, nextOpenBrace, nextCloseBrace, nextQuote);
      if (i >= n) break;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (depth === 1 && expectingKey) {
        lastKey = keyOf(text, i, end);
        expectingKey = false;
      }
      i = end;
      continue;
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) return { kind: "depth", depth };
      if (depth === 1 && c === OPEN_BRACE) expectingKey = true;
      else if (depth === 2 && c === OPEN_BRACKET && lastKey === "instances" && maxRows !== undefined) {
        inRows = true;
        // A non-empty array has one more row than separating commas.
        let j = i + 1;
        while (j < n && text.charCodeAt(j) <= 0x20) j++;
        rows = j < n && text.charCodeAt(j) !== CLOSE_BRACKET ? 1 : 0;
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      if (inRows && depth === 2) {
        inRows = false;
        if (rows > maxRows!) return { kind: "rows", rows };
        if (!mayBeDeep) return undefined;
      }
      depth--;
    } else if (c === COMMA) {
      if (depth === 1) {
        expectingKey = true;
        lastKey = undefined;
      } else if (inRows && depth === 2) rows++;
    }
    i++;
  }
  if (inRows && rows > maxRows!) return { kind: "rows", rows };
  return undefined;
}

/**
 * The number of rows of the top-level `instances` array in `text` when it holds more than `limit`,
 * else undefined.
 */
export function batchRowsOver(text: string, limit: number): number | undefined {
  const p = checkBody(text, Number.MAX_SAFE_INTEGER, limit);
  return p?.kind === "rows" ? p.rows : undefined;
}
