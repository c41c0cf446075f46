/** @module Reads the few counters the live view needs from the Prometheus text of `/metrics`. */

/** Error answers by `MS_*` code, from `*_errors_total{code="…"} n` lines. */
export function errorCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^[a-zA-Z_:][\w:]*errors_total\{code="([^"]+)"\}\s+([0-9.eE+-]+)$/.exec(line.trim());
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}
