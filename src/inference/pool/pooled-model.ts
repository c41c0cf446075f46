/**
 * @module A model version bound on the inference pool: the same `LoadedModel` as the inline one, whose
 * calls go to a pool thread when they are costly enough (see placement.ts) and run inline otherwise.
 * `predict` of a classifier asks the thread for the probabilities too, in the same call: the thread's
 * model derives both from one evaluation (as inline, where runtimes memo the last table), and the
 * `predictProba` that follows on the same table takes them instead of a second evaluation.
 * Explanations stay inline.
 */

import type { FeatureTable, LoadedModel, Matrix, PredictOutput } from "../../runtimes/runtime.ts";
import type { InferencePool, PoolLabel } from "./inference-pool.ts";
import type { PoolMethod } from "./messages.ts";

/**
 * A model whose calls of `rows` rows go to the pool when `toPool(rows)` says so; closing it releases
 * the binding `id`, then closes the inline model. Until the pool's threads are ready, the first
 * such call starts them and calls run inline. A binding the threads could not build when they
 * started (a model bound lazily, see `InferencePool.bind`) sends every call inline, after telling
 * `onUnbound` why.
 */
export function pooledModel(
  inline: LoadedModel,
  pool: InferencePool,
  id: number,
  label: PoolLabel,
  toPool: (rows: number) => boolean,
  onUnbound?: (why: string) => void,
): LoadedModel {
  const withProba = inline.predictProba !== undefined;
  let unbound = false;
  // A costly call goes to the pool once its threads are ready; the first one starts them, and until
  // they have bound the model, calls run inline (none waits for a thread to start). A model they
  // could not bind is known by then (the pool turns ready after every start-up bind has settled).
  const pooled = (rows: number): boolean => {
    if (unbound || !toPool(rows)) return false;
    if (!pool.ready) {
      pool.start();
      return false;
    }
    const why = pool.bindFailure(id);
    if (why === undefined) return true;
    unbound = true;
    onUnbound?.(why);
    return false;
  };
  // The probabilities a pooled `predict` brought back, by table, for the `predictProba` that follows.
  const probaOf = new WeakMap<FeatureTable, Promise<Matrix>>();
  const one =
    <T>(method: PoolMethod, f: ((t: FeatureTable) => Promise<T>) | undefined) =>
    (t: FeatureTable): Promise<T> =>
      pooled(t.rows) ? pool.call(id, [method], t, label).then((r) => r[0] as T) : f!(t);
  const predict = (t: FeatureTable): Promise<PredictOutput> => {
    if (!pooled(t.rows)) return inline.predict(t);
    if (!withProba) return pool.call(id, ["predict"], t, label).then((r) => r[0] as PredictOutput);
    const both = pool.call(id, ["predict", "predictProba"], t, label);
    const proba = both.then((r) => r[1] as Matrix);
    // Nobody may ask for them; a failure is the prediction's.
    proba.catch(() => undefined);
    probaOf.set(t, proba);
    return both.then((r) => r[0] as PredictOutput);
  };
  const probaCall = one("predictProba", inline.predictProba);
  const predictProba = (t: FeatureTable): Promise<Matrix> => {
    const ready = probaOf.get(t);
    if (ready) {
      probaOf.delete(t);
      return ready;
    }
    return probaCall(t);
  };
  return {
    ...inline,
    predict,
    predictProba: inline.predictProba ? predictProba : undefined,
    decisionFunction: inline.decisionFunction ? one("decisionFunction", inline.decisionFunction) : undefined,
    transform: inline.transform ? one("transform", inline.transform) : undefined,
    rawScore: inline.rawScore ? one("rawScore", inline.rawScore) : undefined,
    async close() {
      pool.release(id);
      await inline.close?.();
    },
  };
}
