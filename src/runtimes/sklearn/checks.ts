/**
 * @module Load-time consistency checks shared by every scikit-learn estimator: declared counts are
 * integers within bounds relative to the file, shapes agree with each other (`classes_` against tree
 * values, `coef_` against classes, transformer widths against `n_features_in_`), index arrays stay
 * inside what they index, and an ensemble's total node count stays within a budget. A failure names
 * the estimator, the attribute and what was expected, so predict can never read outside an array.
 */

import type { PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import { stateOf } from "./py-access.ts";

/** An attribute that contradicts the rest of the estimator. */
export class ConsistencyError extends Error {
  constructor(estimator: string, attribute: string, expected: string, found?: string) {
    super(`${estimator}.${attribute} should be ${expected}${found === undefined ? "" : `, found ${found}`}`);
  }
}

/** A budget of the load (nodes, features) was exceeded; the message names the limit. */
export class BudgetError extends Error {}

/** What one load may build. */
export interface BuildBudget {
  /** Most tree nodes in the whole model, counting every reference to a shared tree. */
  readonly maxTreeNodes: number;
  /** Size of the decompressed pickle stream, for counts relative to the data present. */
  readonly streamBytes: number;
}

/** Absolute most inputs of any step; the first step (the request schema) has a lower cap. */
const MAX_FEATURES = 1 << 24;
/** Most inputs of a model's request schema. */
const MAX_SIGNATURE_FEATURES = 1 << 20;

let active: { budget: BuildBudget; nodes: number } | undefined;

/** Runs a (synchronous) build under a budget; nested estimator builders charge it. */
export function withBuildBudget<T>(budget: BuildBudget, build: () => T): T {
  const outer = active;
  active = { budget, nodes: 0 };
  try {
    return build();
  } finally {
    active = outer;
  }
}

/** Charges `n` tree nodes (once per reference: a tree shared a million times counts a million times). */
export function spendNodes(n: number, what: string): void {
  if (!active) return;
  active.nodes += n;
  if (active.nodes > active.budget.maxTreeNodes)
    throw new BudgetError(
      `the model's trees total more than ${active.budget.maxTreeNodes} nodes (maxTreeNodes; counting each reference, reached at ${what})`,
    );
}

/** The most elements a count may declare: relative to the decompressed data, within an absolute cap. */
function maxCount(absolute: number): number {
  const bytes = active?.budget.streamBytes ?? Number.POSITIVE_INFINITY;
  return Math.min(absolute, Math.max(1 << 16, bytes * 8));
}

/** Fails unless `ok`, naming estimator, attribute and expectation. */
export function expect(ok: boolean, estimator: string, attribute: string, expected: string, found?: unknown) {
  if (!ok)
    throw new ConsistencyError(
      estimator,
      attribute,
      expected,
      found === undefined ? undefined : String(found),
    );
}

/** A declared count: an integer in `[min, max]`. */
export function checkCount(
  value: number,
  estimator: string,
  attribute: string,
  max: number = maxCount(MAX_FEATURES),
  min = 0,
): number {
  expect(
    Number.isInteger(value) && value >= min && value <= max,
    estimator,
    attribute,
    `an integer from ${min} to ${max}`,
    value,
  );
  return value;
}

/** Every index in `[0, size)` (or `-1` where `allowMinusOne`, as tree leaves mark children). */
export function checkIndices(
  data: ArrayLike<number | bigint>,
  size: number,
  estimator: string,
  attribute: string,
  allowMinusOne = false,
): void {
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v >= 0 && v < size && Number.isInteger(v)) continue;
    if (allowMinusOne && v === -1) continue;
    throw new ConsistencyError(estimator, attribute, `indices in [0, ${size})`, `${v} at position ${i}`);
  }
}

/** Count attributes scikit-learn estimators record, checked wherever they appear. */
const COUNT_ATTRIBUTES = ["n_features_in_", "n_features_", "n_outputs_", "n_classes_", "n_features_out_"];

function plainNumber(v: PyValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "object" && v !== null && "kind" in v && v.kind === "scalar")
    return typeof v.value === "boolean" ? undefined : Number(v.value);
  return undefined;
}

/**
 * Checks an estimator's declared counts before it is built: each present and numeric must be a
 * non-negative integer within bounds (`n_features_in_ = NaN` or `1e8` in a 2 KB file is refused).
 */
export function checkDeclaredCounts(o: PyObject): void {
  const state = stateOf(o);
  for (const key of COUNT_ATTRIBUTES) {
    const n = plainNumber(state.get(key));
    if (n === undefined) continue;
    checkCount(n, o.name, key, maxCount(MAX_FEATURES));
  }
}

/** Checks what a built estimator says about itself (used for every estimator, nested or not). */
export function checkBuilt(
  est: {
    className: string;
    nFeaturesIn?: number;
    featureNamesIn?: readonly string[];
    classes?: readonly unknown[];
    nOutputs?: number;
  },
  topLevel: boolean,
): void {
  const cap = maxCount(topLevel ? MAX_SIGNATURE_FEATURES : MAX_FEATURES);
  if (est.nFeaturesIn !== undefined) checkCount(est.nFeaturesIn, est.className, "n_features_in_", cap);
  if (est.featureNamesIn !== undefined) {
    checkCount(est.featureNamesIn.length, est.className, "feature_names_in_ length", cap);
    if (est.nFeaturesIn !== undefined)
      expect(
        est.featureNamesIn.length === est.nFeaturesIn,
        est.className,
        "feature_names_in_",
        `${est.nFeaturesIn} names (n_features_in_)`,
        est.featureNamesIn.length,
      );
  }
  if (est.nOutputs !== undefined)
    checkCount(est.nOutputs, est.className, "n_outputs_", maxCount(MAX_FEATURES), 1);
  if (est.classes !== undefined)
    checkCount(est.classes.length, est.className, "classes_ length", maxCount(MAX_FEATURES), 1);
}

/** Transformers whose output has as many columns as their input. */
const WIDTH_PRESERVING = new Set([
  "StandardScaler",
  "MinMaxScaler",
  "RobustScaler",
  "MaxAbsScaler",
  "Normalizer",
  "PowerTransformer",
  "QuantileTransformer",
  "Binarizer",
]);

/** A per-column parameter array has one value per input column. */
export function checkWidth(
  length: number,
  nFeatures: number | undefined,
  estimator: string,
  attribute: string,
) {
  if (nFeatures === undefined) return;
  expect(length === nFeatures, estimator, attribute, `${nFeatures} values (n_features_in_)`, length);
}

/**
 * Consecutive pipeline steps agree on widths where both are known: a width-preserving transformer
 * hands on exactly the columns the next step was fitted on.
 */
export function checkStepWidths(
  steps: readonly { className: string; nFeaturesIn?: number }[],
  pipeline: string,
): void {
  for (let i = 1; i < steps.length; i++) {
    const a = steps[i - 1];
    const b = steps[i];
    if (!WIDTH_PRESERVING.has(a.className) || a.nFeaturesIn === undefined || b.nFeaturesIn === undefined)
      continue;
    expect(
      a.nFeaturesIn === b.nFeaturesIn,
      pipeline,
      `steps[${i}] (${b.className}).n_features_in_`,
      `${a.nFeaturesIn} (the width ${a.className} hands on)`,
      b.nFeaturesIn,
    );
  }
}
