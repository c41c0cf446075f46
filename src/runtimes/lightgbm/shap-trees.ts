/**
 * @module A LightGBM model's trees in the neutral TreeSHAP form, as `predict(pred_contrib=True)`
 * explains them: covers are `internal_count` / `leaf_count`, a tree's expected value is
 * Σ leaf_count/root count × leaf value (`Tree::ExpectedValue`), splits decide as in prediction (NaN
 * read as 0 unless the missing type is NaN, zero-as-missing, categorical bitsets), float64 arithmetic,
 * tree `i` explains class `i mod K`. Ref: LightGBM `src/io/tree.cpp` (`TreeSHAP`, `ExpectedValue`).
 */

import { type ShapEnsemble, type ShapTree, treeDepth } from "../../explain/tree-shap.ts";
import type { LightgbmModel } from "./model.ts";

const ZERO_THRESHOLD = Math.fround(1e-35);

/** Builds the explanation form; throws when a tree cannot be explained (no counts, linear leaves). */
export function lightgbmShapEnsemble(m: LightgbmModel, features: number): ShapEnsemble {
  const trees: ShapTree[] = m.trees.map((t, ti) => {
    if (t.linear)
      throw new Error(
        "linear trees are explained by LightGBM from their constant leaves only; not supported",
      );
    const inner = t.numLeaves - 1;
    const n = inner + t.numLeaves;
    const left = new Int32Array(n).fill(-1);
    const right = new Int32Array(n).fill(-1);
    const feature = new Int32Array(n);
    const cover = new Float64Array(n);
    const values = new Float64Array(n);
    if (inner > 0 && (!t.internalCount || !t.leafCount))
      throw new Error(`tree ${ti} has no internal_count / leaf_count (covers)`);
    const node = (c: number) => (c >= 0 ? c : inner + ~c);
    for (let k = 0; k < inner; k++) {
      left[k] = node(t.left[k]);
      right[k] = node(t.right[k]);
      feature[k] = t.feature[k];
      cover[k] = t.internalCount![k];
    }
    let expected = t.leafValue[0];
    if (inner > 0) {
      expected = 0;
      const total = t.internalCount![0];
      for (let l = 0; l < t.numLeaves; l++) expected += (t.leafCount![l] / total) * t.leafValue[l];
    }
    for (let l = 0; l < t.numLeaves; l++) {
      values[inner + l] = t.leafValue[l];
      cover[inner + l] = t.leafCount?.[l] ?? 0;
    }
    const { decision, threshold, catBoundaries, catThreshold } = t;
    return {
      left,
      right,
      feature,
      cover,
      values,
      width: 1,
      output: ti % m.perIteration,
      weight: 1,
      expected: Float64Array.of(expected),
      depth: inner > 0 ? treeDepth(left, right) : 0,
      goesLeft(k: number, x: Float64Array, at: number): boolean {
        const dt = decision[k];
        let v = x[at + feature[k]];
        if (dt & 1) {
          // Categorical: NaN and negative categories go right; otherwise the category's bit decides.
          if (Number.isNaN(v) || v < 0) return false;
          const c = Math.trunc(v);
          const ci = threshold[k];
          const w = catBoundaries[ci] + (c >>> 5);
          return c < 2 ** 31 && w < catBoundaries[ci + 1] && ((catThreshold[w] >>> (c & 31)) & 1) === 1;
        }
        const missing = (dt >> 2) & 3;
        if (Number.isNaN(v) && missing !== 2) v = 0;
        if (
          (missing === 1 && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) ||
          (missing === 2 && Number.isNaN(v))
        )
          return (dt & 2) !== 0;
        return v <= threshold[k];
      },
    };
  });
  return {
    trees,
    features,
    outputs: m.perIteration,
    precision: "float64",
    base: new Float64Array(m.perIteration),
  };
}
