/**
 * @module Error answers never amplify a request: every string they echo (an unknown key, a bad value,
 * a path) is cut to a few hundred characters, so a 10 MB key comes back as 200 characters and a note,
 * not three times over.
 */

/** Longest echoed string, in characters. */
export const MAX_ECHO_CHARS = 200;

/** Deepest nesting of details kept (error details are shallow; anything deeper is summarised). */
const MAX_DEPTH = 8;

/** `s` cut to `max` characters, with a note of its full length. */
export function cutString(s: string, max = MAX_ECHO_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} characters)`;
}

/** A copy of an error message or details value with every string (values and keys) cut. */
export function cutEchoes(value: unknown, max = MAX_ECHO_CHARS, depth = 0): unknown {
  if (typeof value === "string") return cutString(value, max);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "…";
  if (Array.isArray(value)) return value.map((v) => cutEchoes(v, max, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[cutString(k, max)] = cutEchoes(v, max, depth + 1);
  return out;
}
