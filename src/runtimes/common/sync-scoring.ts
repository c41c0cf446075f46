/**
 * @module Synchronous scoring of a runtime model whose computation never waits (XGBoost and LightGBM boosters
 * compiled in TypeScript), so a scikit-learn ensemble or pipeline, whose estimators are synchronous, can hold
 * one as a member. The runtimes register it next to the model they return; the contract of `RuntimeModel`
 * itself is unchanged.
 */

import type { FeatureTable, Matrix, PredictOutput, RuntimeModel } from "../runtime.ts";

/** The synchronous twins of a model's `predict` and `predictProba`. */
export interface SyncScoring {
  predict(t: FeatureTable): PredictOutput;
  predictProba?(t: FeatureTable): Matrix;
}

const registry = new WeakMap<RuntimeModel, SyncScoring>();

/** Records the synchronous scoring of `model`; returns the model. */
export function withSyncScoring<M extends RuntimeModel>(model: M, sync: SyncScoring): M {
  registry.set(model, sync);
  return model;
}

/** The synchronous scoring of a model, when its runtime registered one. */
export function syncScoringOf(model: RuntimeModel): SyncScoring | undefined {
  return registry.get(model);
}
