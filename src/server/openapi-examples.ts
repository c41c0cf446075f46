/**
 * @module Examples that teach: a request row built from what the model knows, and the model's real
 * answer to it. A feature's value is, in order: the example its definition declares; the training mean
 * the model carries (e.g. a StandardScaler's), rounded and kept within the feature's range; the
 * typical value the runtime knows (the median split threshold of a tree model); the middle of its
 * declared range; its first category. The answer comes from running the model on that row, so
 * the documented 200 response is exactly what the server says.
 */

import {
  hasProbabilityColumns,
  type ProbabilityRow,
  predictionValues,
  probabilityRow,
} from "../inference/run.ts";
import type { ReadyVersion } from "../registry/model-registry.ts";
import type { FeatureSpec, LoadedModel } from "../runtimes/runtime.ts";
import { exampleValue } from "../schema/json-schema.ts";

/** An example row and the model's answer to it. */
export interface ModelExample {
  readonly row: Readonly<Record<string, unknown>>;
  /** The answer of `predict` (absent if the model could not answer the example). */
  readonly prediction?: unknown;
  /** Probabilities keyed by class label, for classifiers that give them. */
  readonly probabilities?: ProbabilityRow;
}

/** Rounds to 3 significant digits, the way a person would write an example. */
const tidy = (x: number) => (x === 0 ? 0 : Number(x.toPrecision(3)));

function valueFor(spec: FeatureSpec, model: LoadedModel): unknown {
  if (spec.example !== undefined) return spec.example;
  const mean = model.trainingStats?.[spec.name]?.mean;
  if ((spec.dtype === "float" || spec.dtype === "int") && mean !== undefined && Number.isFinite(mean)) {
    let v = spec.dtype === "int" ? Math.round(mean) : tidy(mean);
    if (spec.range?.min !== undefined) v = Math.max(v, spec.range.min);
    if (spec.range?.max !== undefined) v = Math.min(v, spec.range.max);
    return v;
  }
  const typical = model.typicalValues?.[spec.name];
  if (typical !== undefined) return typical;
  return exampleValue(spec);
}

/** The example row of a model. */
export function exampleRowOf(model: LoadedModel): Record<string, unknown> {
  return Object.fromEntries(model.signature.inputs.map((f) => [f.name, valueFor(f, model)]));
}

/** A golden sample as a named row of the model's inputs (objects by name, arrays by position). */
function sampleRow(sample: unknown, model: LoadedModel): Record<string, unknown> | undefined {
  const names = model.signature.inputs.map((f) => f.name);
  if (Array.isArray(sample) && sample.length === names.length)
    return Object.fromEntries(names.map((n, i) => [n, sample[i]]));
  if (sample !== null && typeof sample === "object" && !Array.isArray(sample)) {
    const obj = sample as Record<string, unknown>;
    if (names.every((n) => n in obj)) return Object.fromEntries(names.map((n) => [n, obj[n]]));
  }
  return undefined;
}

const cache = new WeakMap<LoadedModel, Promise<ModelExample>>();

/** The example row of a ready version and the model's answer (computed once per loaded model). */
export function exampleOf(v: ReadyVersion): Promise<ModelExample> {
  let p = cache.get(v.model);
  if (!p) {
    p = (async (): Promise<ModelExample> => {
      const row = sampleRow(v.meta?.exampleRow, v.model) ?? exampleRowOf(v.model);
      try {
        const table = v.validator.toTable([row], "example");
        const prediction = predictionValues(await v.model.predict(table), 1)[0];
        const out = v.model.signature.output;
        const probabilities =
          v.model.predictProba && hasProbabilityColumns(out)
            ? probabilityRow(await v.model.predictProba(table), out, 0)
            : undefined;
        return { row, prediction, ...(probabilities ? { probabilities } : {}) };
      } catch {
        // A model that refuses its own example still gets a documented request.
        return { row };
      }
    })();
    cache.set(v.model, p);
  }
  return p;
}

/** Examples of every ready version of a registry, keyed `name@version`. */
export async function examplesOf(
  versions: Iterable<{ readonly name: string; readonly version: string; readonly state: string }>,
): Promise<Map<string, ModelExample>> {
  const out = new Map<string, ModelExample>();
  for (const v of versions) {
    if (v.state !== "ready") continue;
    out.set(`${v.name}@${v.version}`, await exampleOf(v as ReadyVersion));
  }
  return out;
}
