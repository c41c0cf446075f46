/**
 * @module `explain` of scikit-learn's boosting models as shap.TreeExplainer gives it, in raw-score
 * space: HistGradientBoosting (covers = node `count`, float64 inputs, NaN and categories routed as the
 * model predicts, base = `_baseline_prediction`) and GradientBoosting (stage trees scaled by the
 * learning rate, base = the init estimator's constant raw prediction).
 */

import { lazy, NotExplainableError } from "../../../../explain/contributions.ts";
import type { Label } from "../../../runtime.ts";
import { explainThrough } from "../../column-sources.ts";
import type { SkData, SkEstimator, SkExplanation } from "../../estimator.ts";
import { explainDense, float64Ensemble, shapTree, sklearnShapTree } from "../../explain.ts";
import type { CompiledTree } from "../trees/tree.ts";
import type { HgbTree } from "./hist-gradient-boosting.ts";

/** Outputs of a raw-score explanation: the second class of a binary model, each class, or the target. */
function outputsOf(k: number, classes: readonly Label[] | undefined): Label[] {
  if (!classes) return [0];
  return k === 1 ? [classes[1]] : [...classes];
}

/** `explain` of a HistGradientBoosting model. */
export function hgbExplainer(
  iterations: readonly (readonly HgbTree[])[],
  baseline: ArrayLike<number>,
  nFeatures: number,
  goLeft: (t: HgbTree, node: number, v: number) => boolean,
  preprocessor: SkEstimator | undefined,
  classes: readonly Label[] | undefined,
): (x: SkData) => SkExplanation {
  const k = baseline.length;
  const ensemble = lazy(() =>
    float64Ensemble(
      iterations.flatMap((it) =>
        it.map((t, c) =>
          shapTree({
            left: Int32Array.from(t.left, (l, i) => (t.isLeaf[i] ? -1 : l)),
            right: Int32Array.from(t.right, (r, i) => (t.isLeaf[i] ? -1 : r)),
            feature: t.feature,
            cover: t.count,
            values: t.value,
            width: 1,
            output: c,
            goesLeft: (node, x, at) => goLeft(t, node, x[at + t.feature[node]]),
          }),
        ),
      ),
      nFeatures,
      k,
      baseline,
    ),
  );
  const outputs = outputsOf(k, classes);
  const own = (x: SkData) => explainDense(ensemble(), x, outputs, "raw");
  if (!preprocessor) return own;
  // 1.4+ categorical models ordinal-encode their categorical columns first (a ColumnTransformer that
  // also reorders columns): contributions are traced back through it to the raw inputs.
  const inner: SkEstimator = { className: "HistGradientBoosting", role: "regressor", explain: own };
  return (x) => explainThrough([preprocessor], inner, x);
}

/** `explain` of a GradientBoosting model whose init is constant (`initRaw` of any row), or undefined. */
export function gbExplainer(
  trees: readonly CompiledTree[],
  k: number,
  learningRate: number,
  nFeatures: number,
  init: SkEstimator | undefined,
  initRaw: (x: SkData, rows: number) => Float64Array,
  classes: readonly Label[] | undefined,
): (x: SkData) => SkExplanation {
  const ensemble = lazy(() => {
    if (init && !init.className.startsWith("Dummy"))
      throw new NotExplainableError(
        `a GradientBoosting model whose init is ${init.className} (not constant)`,
      );
    const zero: SkData = { kind: "dense", rows: 1, cols: nFeatures, data: new Float64Array(nFeatures) };
    return float64Ensemble(
      trees.map((t, i) => sklearnShapTree(t, { scaling: learningRate, output: i % k })),
      nFeatures,
      k,
      initRaw(zero, 1),
    );
  });
  const outputs = outputsOf(k, classes);
  return (x) => explainDense(ensemble(), x, outputs, "raw");
}
