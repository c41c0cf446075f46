/**
 * @module Early refusal of oversized batches: the rows of a batch body's top-level `instances` array
 * are counted on the raw text, before `JSON.parse` builds them, so a body of 10⁶ tiny rows is refused
 * with `MS_BATCH_TOO_LARGE` without allocating a million objects first.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

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

// Characters the scanner stops at; everything else (digits, letters, spaces, colons) is skipped.
const STRUCTURAL = new Uint8Array(128);
for (const c of [QUOTE, COMMA, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE]) STRUCTURAL[c] = 1;

/** Counts the elements of the array that opens at `start` (a `[`). */
function countElements(text: string, start: number): number {
  const n = text.length;
  let i = start + 1;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (i >= n || text.charCodeAt(i) === CLOSE_BRACKET) return 0;
  let rows = 1;
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || STRUCTURAL[c] === 0) {
      i++;
      continue;
    }
    if (c === QUOTE) {
      i = skipString(text, i);
      continue;
    }
    if (c === COMMA) {
      if (depth === 0) rows++;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++;
    else if (depth === 0) return rows;
    else depth--;
    i++;
  }
  return rows;
}

/**
 * The number of rows of the top-level object's `field` array in JSON `text` when it holds more than
 * `limit`, else undefined (also when there is no such array). Malformed text gives some answer;
 * `JSON.parse` reports the error afterwards.
 */
export function batchRowsOver(text: string, limit: number, field = "instances"): number | undefined {
  // Cheap bounds first: fewer than `limit` commas cannot separate more than `limit` rows.
  if (text.length <= 2 * limit) return undefined;
  let commas = 0;
  for (let j = text.indexOf(","); j >= 0 && commas < limit; j = text.indexOf(",", j + 1)) commas++;
  if (commas < limit) return undefined;
  let depth = 0;
  let expectingKey = false;
  let lastKey: string | undefined;
  const n = text.length;
  let i = 0;
  while (i < n) {
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
    if (c === OPEN_BRACKET && depth === 1 && lastKey === field) {
      const rows = countElements(text, i);
      return rows > limit ? rows : undefined;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (c === OPEN_BRACE && depth === 1) expectingKey = true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COMMA && depth === 1) {
      expectingKey = true;
      lastKey = undefined;
    }
    i++;
  }
  return undefined;
}
