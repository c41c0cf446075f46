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
    const t = thresholds[i].filter(Number.isFinite).sort((a, b) => a - b);
    if (t.length === 0) return;
    const median = t[Math.floor(t.length / 2)];
    out[f.name] = f.dtype === "int" ? Math.round(median) : Number(median.toPrecision(3));
  });
  return Object.keys(out).length > 0 ? out : undefined;
}
