/**
 * @module Helpers around {@link Contributions}: reading one row's values per feature, the bias, the
 * explained output (bias + Σ contributions), and the lazily built, cached TreeSHAP form of a model.
 */

import type { Contributions, Label } from "../runtimes/runtime.ts";

/**
 * Why a model (or this model's trees) cannot be explained. Surfaces answer it as
 * `MS_METHOD_NOT_SUPPORTED` with the model's name.
 */
export class NotExplainableError extends Error {}

/** One row's explanation of one output. */
export interface RowExplanation {
  readonly output: Label;
  /** Expected value of the output (the bias term). */
  readonly base: number;
  /** Contribution per feature name, in signature order. */
  readonly contributions: Readonly<Record<string, number>>;
  /** `base + Σ contributions`: the model's output in the explanation's space. */
  readonly value: number;
}

/** The explanation of row `r`, one entry per output. */
export function rowExplanations(c: Contributions, r: number): RowExplanation[] {
  const F = c.features.length;
  const width = F + 1;
  return c.outputs.map((output, k) => {
    const o = (r * c.outputs.length + k) * width;
    const contributions: Record<string, number> = {};
    let value = c.values[o + F];
    for (let f = 0; f < F; f++) {
      contributions[c.features[f]] = c.values[o + f];
      value += c.values[o + f];
    }
    return { output, base: c.values[o + F], contributions, value };
  });
}

/** Caches a value built on first use (explanation trees are built only for models that are explained). */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

/**
 * Sums contribution columns into fewer features (encoded columns back to their input column): `map[j]`
 * is the target feature of source column `j`, or -1 to drop a column that carries no contribution.
 */
export function foldColumns(
  c: Contributions,
  features: readonly string[],
  map: readonly number[],
): Contributions {
  const Fs = c.features.length;
  const Ft = features.length;
  const K = c.outputs.length;
  const values = new Float64Array(c.rows * K * (Ft + 1));
  for (let b = 0; b < c.rows * K; b++) {
    const s = b * (Fs + 1);
    const t = b * (Ft + 1);
    for (let j = 0; j < Fs; j++) if (map[j] >= 0) values[t + map[j]] += c.values[s + j];
    values[t + Ft] = c.values[s + Fs];
  }
  return { ...c, features, values };
}
