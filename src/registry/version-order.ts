/** @module Natural ordering of version labels: `1 < 2 < 10`, semver-aware, text last. */

const PART = /(\d+)|(\D+)/g;

/** Compares two version labels naturally (numeric runs by value), for "newest version" decisions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/i, "").match(PART) ?? [];
  const pb = b.replace(/^v/i, "").match(PART) ?? [];
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return y?.startsWith("-") ? 1 : -1;
    if (y === undefined) return x.startsWith("-") ? -1 : 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}
