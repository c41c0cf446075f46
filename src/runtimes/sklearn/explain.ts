/**
 * @module scikit-learn trees in the neutral TreeSHAP form, as `shap.TreeExplainer` (default
 * `tree_path_dependent`) reads them: covers are `weighted_n_node_samples` (HistGradientBoosting: node
 * `count`), classifier leaves normalised to class fractions then scaled (1/trees for forests, the
 * learning rate for gradient boosting), internal values recomputed as cover-weighted means of the
 * children, float64 arithmetic. Ref: shap `explainers/_tree.py` (`SingleTree`), `cext/tree_shap.h`.
 */

import { NotExplainableError } from "../../explain/contributions.ts";
import { type ShapEnsemble, type ShapTree, treeDepth, treeShap } from "../../explain/tree-shap.ts";
import type { Label, OutputSpace } from "../runtime.ts";
import { dense } from "./data.ts";
import type { SkData, SkExplanation } from "./estimator.ts";
import type { CompiledTree } from "./estimators/trees/tree.ts";

/**
 * The parts of a tree the explanation needs (values `nodes × width`, already normalised and scaled);
 * expectations and depth are derived, the weight is 1.
 */
export type TreeParts = Omit<ShapTree, "weight" | "expected" | "depth">;

/** shap's `compute_expectations`: the root's value as children's cover-weighted means, bottom-up. */
function rootExpectation(p: TreeParts): Float64Array {
  const { left, right, cover, width } = p;
  const v = Float64Array.from(p.values);
  const fill = (i: number): void => {
    if (right[i] < 0 || left[i] < 0) return;
    const li = left[i];
    const ri = right[i];
    fill(li);
    fill(ri);
    const lw = cover[li];
    const rw = cover[ri];
    for (let j = 0; j < width; j++)
      v[i * width + j] =
        lw === 0 && rw === 0 ? 0 : (lw * v[li * width + j] + rw * v[ri * width + j]) / (lw + rw);
  };
  fill(0);
  return v.slice(0, width);
}

/** A neutral tree from its parts. */
export function shapTree(p: TreeParts): ShapTree {
  return {
    ...p,
    weight: 1,
    expected: rootExpectation(p),
    depth: treeDepth(p.left, p.right),
    goesLeft: p.goesLeft,
  };
}

/**
 * A compiled scikit-learn tree: `normalize` divides each node's values by their sum (classifier
 * fractions), `scaling` multiplies them (forests 1/n, boosting the learning rate); `column` takes a
 * single value column (a boosting stage's tree) instead of all.
 */
export function sklearnShapTree(
  t: CompiledTree,
  opts: { readonly normalize?: boolean; readonly scaling?: number; readonly output?: number },
): ShapTree {
  const n = t.nodeCount;
  const { left, right, feature, threshold, missingLeft, cover } = t.nodes;
  if (cover.length !== n) throw new NotExplainableError("the trees do not record weighted_n_node_samples");
  const width = t.width;
  const values = new Float64Array(n * width);
  const scaling = opts.scaling ?? 1;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    if (opts.normalize) for (let j = 0; j < width; j++) sum += t.values[i * width + j];
    for (let j = 0; j < width; j++) {
      const v = opts.normalize ? t.values[i * width + j] / sum : t.values[i * width + j];
      values[i * width + j] = v * scaling;
    }
  }
  return shapTree({
    left,
    right,
    feature,
    cover,
    values,
    width,
    output: opts.output ?? 0,
    goesLeft(node, x, at) {
      // Inputs cast to float32 (as scikit-learn and shap read them), compared `<=` with the float64 threshold.
      const v = Math.fround(x[at + feature[node]]);
      if (Number.isNaN(v)) return missingLeft[node] === 1;
      return v <= threshold[node];
    },
  });
}

/** Explains dense input with an ensemble. */
export function explainDense(
  e: ShapEnsemble,
  x: SkData,
  outputs: readonly Label[],
  outputSpace: OutputSpace,
): SkExplanation {
  const d = dense(x);
  if (d.cols !== e.features) throw new NotExplainableError(`expected ${e.features} columns, got ${d.cols}`);
  return { rows: d.rows, cols: d.cols, outputs, values: treeShap(e, d.data, d.rows, d.cols), outputSpace };
}

/** A float64 ensemble of neutral trees. */
export function float64Ensemble(
  trees: readonly ShapTree[],
  features: number,
  outputs: number,
  base?: ArrayLike<number>,
): ShapEnsemble {
  return {
    trees,
    features,
    outputs,
    precision: "float64",
    base: base ? Float64Array.from(base) : new Float64Array(outputs),
  };
}
