/** @module Test helpers: a registry with the iris heuristic and small code models, and a silent logger. */

import pino from "pino";
import heuristic from "../examples/iris/heuristic.ts";
import { ModelRegistry } from "../src/registry/model-registry.ts";
import type { ModelSignature } from "../src/runtimes/runtime.ts";
import { defineModel } from "../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../src/runtimes/typescript/runtime.ts";
import { type App, type AppOptions, buildApp } from "../src/server/app.ts";

/** A logger that writes nowhere. */
export const silent = pino({ level: "silent" });

/** A regression model without probabilities (y = 2a + b), with a nullable input and a category. */
export const linear = defineModel({
  name: "linear",
  version: "2",
  inputs: {
    a: { dtype: "float", range: { min: -10, max: 10 } },
    b: { dtype: "float", nullable: true },
    color: { dtype: "category", categories: ["red", "green"] },
    n: "int",
    flag: "bool",
    note: "string",
  },
  predict: (rows) => rows.map((r) => 2 * (r.a as number) + ((r.b as number | null) ?? 0)),
});

/** A registry holding the heuristic (default) and `linear`, and its app. */
export function makeApp(options: AppOptions = {}): App {
  const registry = new ModelRegistry();
  registry.register(heuristic.name, heuristic.version, loadDefinition(heuristic), "code");
  registry.register(linear.name, linear.version, loadDefinition(linear), "code");
  return buildApp(registry, { logger: silent, ...options });
}

/** A valid iris row. */
export const IRIS_ROW = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

/** A valid `linear` row. */
export const LINEAR_ROW = { a: 1.5, b: null, color: "red", n: 3, flag: true, note: "x" };

/** A fresh loaded copy of `linear`, to register under any name and version. */
export const linearModel = () => loadDefinition(linear);

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing property test replays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The capabilities of a model that only predicts (a regressor without extra scores). */
export const PREDICT_ONLY: ModelSignature["capabilities"] = {
  predict: true,
  predictProba: false,
  decisionFunction: false,
  transform: false,
  rawScore: false,
};

/**
 * An all-numeric signature with each column rule: a plain float, a nullable float within [-5, 5], an
 * integer (the numeric fast paths' tests).
 */
export const NUMERIC_SIGNATURE: ModelSignature = {
  inputs: [
    { name: "a", dtype: "float", nullable: false },
    { name: "b", dtype: "float", nullable: true, range: { min: -5, max: 5 } },
    { name: "n", dtype: "int", nullable: false },
  ],
  output: { task: "regression", targets: 1 },
  capabilities: PREDICT_ONLY,
};

/**
 * `text` with `cuts` random one-character damages (an insertion, a replacement or a deletion of a
 * character drawn from `alphabet`), for tests that readers decline or read damaged JSON correctly.
 */
export function damaged(text: string, rand: () => number, cuts: number, alphabet: string): string {
  for (let k = 0; k < cuts; k++) {
    const at = Math.floor(rand() * (text.length + 1));
    const ch = alphabet[Math.floor(rand() * alphabet.length)];
    const op = Math.floor(rand() * 3);
    text =
      op === 0
        ? text.slice(0, at) + ch + text.slice(at)
        : text.slice(0, at) + (op === 1 ? ch : "") + text.slice(at + 1);
  }
  return text;
}
