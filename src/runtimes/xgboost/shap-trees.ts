/**
 * @module An XGBoost booster's trees in the neutral TreeSHAP form, as `predict(pred_contribs=True)`
 * explains them: covers are `sum_hessian`, node expectations are float32 cover-weighted means of the
 * leaves (`FillNodeMeanValues`), splits are float32 `x < t`, NaN follows `default_left`, a categorical
 * node sends the listed categories right, dart trees are weighted by `weight_drop`, the base score in
 * margin space is added to the bias last. Ref: XGBoost 1.7 `tree_model.cc` (`TreeShap`),
 * `cpu_predictor.cc` (`PredictContribution`).
 */

import { type ShapEnsemble, type ShapTree, treeDepth } from "../../explain/tree-shap.ts";

const f32 = Math.fround;

type Obj = { readonly [key: string]: unknown };

function nums(v: unknown, what: string): ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  if (!Array.isArray(v)) throw new Error(`${what} is missing`);
  return v.map((x) => (x === null ? Number.NaN : Number(x)));
}

/** What the compiled booster already knows and the explanation reuses. */
export interface XgbExplainInput {
  /** The parsed `trees` array of the model. */
  readonly trees: readonly unknown[];
  readonly treeInfo: ArrayLike<number>;
  /** Per-tree weights (dart), or undefined. */
  readonly weights?: ArrayLike<number>;
  /** Base score in margin space, per output group. */
  readonly baseMargin: Float64Array;
  readonly numFeature: number;
  readonly groups: number;
}

/** Float32 node means, children before parents, as XGBoost's `FillNodeMeanValues` recursion computes them. */
function nodeMeans(left: Int32Array, right: Int32Array, leaf: Float64Array, cover: Float64Array): number {
  const fill = (n: number): number => {
    if (left[n] === -1) return leaf[n];
    let r = f32(fill(left[n]) * cover[left[n]]);
    r = f32(r + f32(fill(right[n]) * cover[right[n]]));
    return f32(r / cover[n]);
  };
  return fill(0);
}

/** Builds the explanation form of every tree; throws when a tree lacks what TreeSHAP needs. */
export function xgboostShapEnsemble(m: XgbExplainInput): ShapEnsemble {
  const trees: ShapTree[] = m.trees.map((raw, i) => {
    const t = raw as Obj;
    const leafSize = Number((t.tree_param as Obj | undefined)?.size_leaf_vector ?? 1) || 1;
    if (leafSize > 1) throw new Error("multi-target trees (vector leaves) have no TreeSHAP in XGBoost");
    const left = Int32Array.from(nums(t.left_children, "left_children"));
    const right = Int32Array.from(nums(t.right_children, "right_children"));
    const feature = Int32Array.from(nums(t.split_indices, "split_indices"));
    const cond = Float64Array.from(nums(t.split_conditions, "split_conditions"), f32);
    const defaultLeft = Uint8Array.from(nums(t.default_left, "default_left"));
    const cover = Float64Array.from(nums(t.sum_hessian, `tree ${i} sum_hessian`), f32);
    if (cover.length !== left.length) throw new Error(`tree ${i}: sum_hessian has ${cover.length} entries`);
    const n = left.length;
    const splitType =
      t.split_type === undefined ? new Uint8Array(n) : Uint8Array.from(nums(t.split_type, "split_type"));
    const catNodes = nums(t.categories_nodes ?? [], "categories_nodes");
    const catSegments = nums(t.categories_segments ?? [], "categories_segments");
    const catSizes = nums(t.categories_sizes ?? [], "categories_sizes");
    const cats = nums(t.categories ?? [], "categories");
    const catSet: (Set<number> | undefined)[] = new Array(n);
    for (let k = 0; k < catNodes.length; k++) {
      const s = new Set<number>();
      for (let c = 0; c < catSizes[k]; c++) s.add(cats[catSegments[k] + c]);
      catSet[catNodes[k]] = s;
    }
    const values = new Float64Array(n);
    for (let j = 0; j < n; j++) if (left[j] === -1) values[j] = cond[j];
    const expected = Float64Array.of(nodeMeans(left, right, values, cover));
    const weight = m.weights && m.weights.length === m.trees.length ? f32(m.weights[i]) : 1;
    return {
      left,
      right,
      feature,
      cover,
      values,
      width: 1,
      output: m.treeInfo[i],
      weight,
      expected,
      depth: treeDepth(left, right),
      goesLeft(node: number, x: Float64Array, at: number): boolean {
        const v = x[at + feature[node]];
        if (Number.isNaN(v)) return defaultLeft[node] === 1;
        if (splitType[node] === 1) return !(catSet[node]?.has(Math.trunc(v)) ?? false);
        return v < cond[node];
      },
    };
  });
  return { trees, features: m.numFeature, outputs: m.groups, precision: "float32", base: m.baseMargin };
}
