/**
 * @module IsolationForest: the average isolation depth of a row over the ensemble's extra trees (each
 * on its own feature subset), corrected at every leaf by the expected depth of the samples left
 * there, normalised by the expected depth of `max_samples`: score = −2^(−depth / c(max_samples)),
 * `decision_function` = score − `offset_`, `predict` = −1 below 0, else 1.
 * Ref: sklearn `ensemble/_iforest.py` (`_compute_score_samples`, `_average_path_length`).
 */

import { Errors } from "../../../../errors.ts";
import type { NdArray, PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { dense, matrix } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { isArrayOf, isRecord, prepared } from "../../layouts.ts";
import { AttributeError, attr, floats, isArray, isObject, need, num, strings } from "../../py-access.ts";
import { type CompiledTree, compileTree } from "./tree.ts";

const EULER_GAMMA = 0.5772156649015329;

/** c(n): the average path length of an unsuccessful search in a binary search tree of n samples. */
function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

interface IsoTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Split feature, already mapped to the model's input columns. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Per node: path length to it (nodes on the path) + c(samples there) − 1, used at leaves. */
  readonly leafDepth: Float64Array;
}

/** What the walk needs beyond the compiled tree: input columns and leaf depths (see {@link IsoTree}). */
interface IsoLayout {
  readonly feature: Int32Array;
  readonly leafDepth: Float64Array;
}

function isoLayout(t: PyObject, compiled: CompiledTree, features: Int32Array, nFeatures: number): IsoLayout {
  const { left, right, feature } = compiled.nodes;
  const nodes = need(t, "nodes") as NdArray;
  const samplesField = nodes.fields?.get("n_node_samples");
  if (!samplesField) throw new AttributeError("Tree.nodes has no field n_node_samples");
  const n = compiled.nodeCount;
  const depth = new Int32Array(n);
  const mapped = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (left[i] === -1) continue;
    depth[left[i]] = depth[i] + 1;
    depth[right[i]] = depth[i] + 1;
    const f = features[feature[i]];
    if (f === undefined || f < 0 || f >= nFeatures)
      throw new AttributeError(`IsolationForest tree splits on feature ${f}`);
    mapped[i] = f;
  }
  const leafDepth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // sklearn: decision path length (depth + 1) + c(n_node_samples) − 1.0, added in that order.
    leafDepth[i] =
      depth[i] + 1 + averagePathLength(Number((samplesField as ArrayLike<number | bigint>)[i])) - 1;
  }
  return { feature: mapped, leafDepth };
}

function isoTree(est: PyObject, features: Int32Array, nFeatures: number): IsoTree {
  const t = need(est, "tree_");
  if (!isObject(t) || t.name !== "Tree") throw new AttributeError(`${est.name}.tree_ is not a Tree`);
  const compiled = compileTree(t, features.length);
  const { left, right, threshold } = compiled.nodes;
  const n = compiled.nodeCount;
  // Keyed by the estimator and its feature subset (the worker prepares it; see layouts.ts).
  const layout = prepared(
    est,
    `isolation-tree/${nFeatures}/${features.join(",")}`,
    () => isoLayout(t, compiled, features, nFeatures),
    (v): v is IsoLayout =>
      isRecord(v) && isArrayOf(v.feature, Int32Array, n) && isArrayOf(v.leafDepth, Float64Array, n),
  );
  return { left, right, feature: layout.feature, threshold, leafDepth: layout.leafDepth };
}

/** Builder of `IsolationForest`. */
export function isolationForest(o: PyObject, ctx: BuildContext): SkEstimator {
  const nFeatures = num(need(o, "n_features_in_"), `${o.name}.n_features_in_`);
  const ests = need(o, "estimators_");
  const feats = need(o, "estimators_features_");
  if (!Array.isArray(ests) || !Array.isArray(feats) || ests.length !== feats.length || ests.length === 0)
    throw new AttributeError(`${o.name}.estimators_ and estimators_features_ do not match`);
  const trees = (ests as PyValue[]).map((e, i) => {
    if (!isObject(e)) throw new AttributeError(`${o.name}.estimators_[${i}] is not a tree`);
    const f = feats[i];
    if (!isArray(f)) throw new AttributeError(`${o.name}.estimators_features_[${i}] is not an array`);
    return isoTree(e, Int32Array.from(floats(f, "estimators_features_").data), nFeatures);
  });
  const maxSamples = num(attr(o, "_max_samples") ?? need(o, "max_samples_"), `${o.name}.max_samples_`);
  const offset = num(need(o, "offset_"), `${o.name}.offset_`);
  const denominator = trees.length * averagePathLength(maxSamples);
  if (!(denominator > 0)) throw Errors.invalidModel(ctx.file, "IsolationForest with max_samples of 1");

  const decision = (x: SkData): Matrix => {
    const d = dense(x);
    const depths = new Float64Array(d.rows);
    for (const t of trees) {
      for (let r = 0; r < d.rows; r++) {
        const at = r * d.cols;
        let i = 0;
        while (t.left[i] !== -1)
          i = Math.fround(d.data[at + t.feature[i]]) <= t.threshold[i] ? t.left[i] : t.right[i];
        depths[r] += t.leafDepth[i];
      }
    }
    const out = new Float64Array(d.rows);
    // score_samples = −2^(−depth / denominator); decision_function subtracts offset_.
    for (let r = 0; r < d.rows; r++) out[r] = -(2 ** -(depths[r] / denominator)) - offset;
    return matrix(d.rows, 1, out);
  };
  return {
    className: o.name,
    role: "outlier-detector",
    nFeaturesIn: nFeatures,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    allowsMissing: false,
    decisionFunction: decision,
    predict: (x) => {
      const m = decision(x);
      return Array.from(m.data, (v): Label => (v < 0 ? -1 : 1));
    },
  };
}
