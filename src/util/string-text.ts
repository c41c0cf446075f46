/**
 * @module A string's JSON text, for answers and log lines built by hand: the bytes `JSON.stringify`
 * gives. Ids, names, labels and routes rarely need an escape, so a string of printable ASCII without
 * `"` or `\` is quoted as it is (one regular-expression test: faster than a loop over its characters),
 * and only the others go through `JSON.stringify`.
 */

/** Printable ASCII but `"` and `\`: nothing JSON escapes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(s)`, quoting a string that needs no escape without it. */
export function stringText(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
