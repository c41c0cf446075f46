/**
 * @module Typical input values from split thresholds: the median threshold a tree model uses on a
 * feature lies inside the range it was trained on, so it makes a realistic documentation example.
 */

import type { FeatureSpec } from "../runtime.ts";

/** The median of each numeric input's thresholds, by input name; undefined when there are none. */
export function typicalFromThresholds(
  thresholds: readonly (readonly number[])[] | undefined,
  inputs: readonly FeatureSpec[],
): Record<string, number> | undefined {
  if (!thresholds || thresholds.length !== inputs.length) return undefined;
  const out: Record<string, number> = {};
  inputs.forEach((f, i) => {
    if (f.dtype !== "float" && f.dtype !== "int") return;
    // A typed array sorts numerically without a comparator call per comparison: a forest has
    // hundreds of thousands of thresholds, and the comparator sort took a quarter of a second.
    const src = thresholds[i];
    const t = new Float64Array(src.length);
    let n = 0;
    for (let j = 0; j < src.length; j++) if (Number.isFinite(src[j])) t[n++] = src[j];
    if (n === 0) return;
    const median = t.subarray(0, n).sort()[Math.floor(n / 2)];
    out[f.name] = f.dtype === "int" ? Math.round(median) : Number(median.toPrecision(3));
  });
  return Object.keys(out).length > 0 ? out : undefined;
}
