/**
 * @module A realistic example row for the try-it form: the training mean or the most frequent
 * category when the bundle has training statistics, else the signature's example, else a value inside
 * the feature's range.
 */

import type { Feature, FeatureStats, Label } from "./types.ts";

/** Rounds to three significant digits, so the form shows `5.84`, not `5.843333333333334`. */
const round3 = (v: number) => (v === 0 ? 0 : Number(v.toPrecision(3)));

const clamp = (v: number, r: Feature["range"]) =>
  Math.min(r?.max ?? Number.POSITIVE_INFINITY, Math.max(r?.min ?? Number.NEGATIVE_INFINITY, v));

function numericExample(f: Feature, s: FeatureStats | undefined): number {
  let v: number | undefined;
  if (s?.mean !== undefined && Number.isFinite(s.mean)) v = s.mean;
  else if (s?.bins) {
    // The middle of the most populated bin.
    const i = s.bins.fractions.indexOf(Math.max(...s.bins.fractions));
    v = (s.bins.edges[i] + s.bins.edges[i + 1]) / 2;
  } else if (typeof f.example === "number") v = f.example;
  else if (f.range?.min !== undefined && f.range.max !== undefined) v = (f.range.min + f.range.max) / 2;
  else v = f.range?.min ?? 0;
  v = clamp(v, f.range);
  return f.dtype === "int" ? Math.round(v) : round3(v);
}

function categoryExample(f: Feature, s: FeatureStats | undefined): Label | null {
  const cats = f.categories ?? [];
  if (s?.categories) {
    const top = Object.entries(s.categories).sort((a, b) => b[1] - a[1])[0]?.[0];
    const match = cats.find((c) => String(c) === top);
    if (match !== undefined) return match;
  }
  if (f.example !== undefined && !Array.isArray(f.example)) return f.example as Label;
  return cats[0] ?? null;
}

function tensorExample(f: Feature): number[] | number[][] {
  if (Array.isArray(f.example)) return f.example as number[];
  const shape = (f.shape ?? [1]).map((d) => (d > 0 ? d : 1));
  const build = (dims: readonly number[]): number[] | number[][] =>
    dims.length <= 1
      ? new Array<number>(dims[0] ?? 1).fill(0)
      : (Array.from({ length: dims[0] }, () => build(dims.slice(1))) as number[][]);
  return build(shape);
}

/** The example value of one feature. */
export function exampleValue(f: Feature, s: FeatureStats | undefined): unknown {
  switch (f.dtype) {
    case "float":
    case "int":
      return numericExample(f, s);
    case "bool":
      return typeof f.example === "boolean" ? f.example : false;
    case "category":
      return categoryExample(f, s);
    case "string":
      return typeof f.example === "string" ? f.example : "";
    case "tensor":
      return tensorExample(f);
  }
}

/** The example row of a signature. */
export function exampleRow(
  inputs: readonly Feature[],
  stats: Readonly<Record<string, FeatureStats>> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(inputs.map((f) => [f.name, exampleValue(f, stats?.[f.name])]));
}
