/**
 * @module Builders of the tree family: decision trees, extra trees, random forests and extra-trees
 * ensembles (classifiers and regressors), following scikit-learn's `predict_proba` normalisation and
 * the forests' accumulation order. Ref: sklearn `tree/_classes.py`, `ensemble/_forest.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { argmaxLabels, dense, matrix } from "../../data.ts";
import type { BuildContext, BuilderTable, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import {
  AttributeError,
  attr,
  isObject,
  labels,
  need,
  num,
  strings,
  versionAtLeast,
} from "../../py-access.ts";
import { type CompiledTree, compileTree } from "./tree.ts";

/** Shared facts of a fitted tree estimator. */
function common(o: PyObject) {
  const nFeatures = num(attr(o, "n_features_in_") ?? need(o, "n_features_"), `${o.name}.n_features_in_`);
  const names = strings(attr(o, "feature_names_in_"));
  const nOutputs = num(attr(o, "n_outputs_") ?? 1, `${o.name}.n_outputs_`);
  return { nFeatures, names, nOutputs };
}

function treeOf(o: PyObject, nFeatures: number): CompiledTree {
  const t = need(o, "tree_");
  if (!isObject(t) || t.name !== "Tree") throw new AttributeError(`${o.name}.tree_ is not a Tree`);
  return compileTree(t, nFeatures);
}

/** Per-tree class probabilities, normalised per row as sklearn does (zero sums left as they are). */
function treeProba(
  tree: CompiledTree,
  x: DenseData,
  k: number,
  out: Float64Array,
  accumulate: boolean,
): void {
  const { rows, cols, data } = x;
  for (let r = 0; r < rows; r++) {
    const leaf = tree.leaf(data, r * cols);
    const base = leaf * tree.width;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += tree.values[base + c];
    if (sum === 0) sum = 1;
    for (let c = 0; c < k; c++) {
      const p = tree.values[base + c] / sum;
      if (accumulate) out[r * k + c] += p;
      else out[r * k + c] = p;
    }
  }
}

function checkOutputs(o: PyObject, nOutputs: number, file: string): void {
  if (nOutputs !== 1)
    throw Errors.unsupportedModel(file, `${o.name} with ${nOutputs} outputs (multi-output trees)`);
}

function treeClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  checkOutputs(o, nOutputs, ctx.file);
  const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
  const tree = treeOf(o, nFeatures);
  const k = classes.length;
  const proba = (x: SkData): Matrix => {
    const d = dense(x);
    const out = new Float64Array(d.rows * k);
    treeProba(tree, d, k, out, false);
    return matrix(d.rows, k, out);
  };
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    classes,
    allowsMissing: tree.hasMissing,
    predictProba: proba,
    predict: (x) => argmaxLabels(proba(x), classes),
  };
}

function treeRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  checkOutputs(o, nOutputs, ctx.file);
  const tree = treeOf(o, nFeatures);
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    nOutputs: 1,
    allowsMissing: tree.hasMissing,
    predict(x) {
      const d = dense(x);
      const out = new Float64Array(d.rows);
      for (let r = 0; r < d.rows; r++) out[r] = tree.values[tree.leaf(d.data, r * d.cols) * tree.width];
      return { kind: "dense", rows: d.rows, cols: 1, data: out };
    },
  };
}

function members(o: PyObject): PyObject[] {
  const list = need(o, "estimators_");
  const items: PyValue[] = Array.isArray(list) ? list : [];
  if (items.length === 0 || !items.every(isObject))
    throw new AttributeError(`${o.name}.estimators_ is not a list of trees`);
  return items as PyObject[];
}

function forestClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  checkOutputs(o, nOutputs, ctx.file);
  const classes: Label[] = labels(need(o, "classes_"), `${o.name}.classes_`);
  const trees = members(o).map((t) => treeOf(t, nFeatures));
  const k = classes.length;
  const proba = (x: SkData): Matrix => {
    const d = dense(x);
    const out = new Float64Array(d.rows * k);
    // sklearn adds each tree's probabilities in list order, then divides once.
    for (const t of trees) treeProba(t, d, k, out, true);
    for (let i = 0; i < out.length; i++) out[i] /= trees.length;
    return matrix(d.rows, k, out);
  };
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    classes,
    allowsMissing: trees.every((t) => t.hasMissing) && versionAtLeast(ctx.sklearnVersion, 1, 4),
    predictProba: proba,
    predict: (x) => argmaxLabels(proba(x), classes),
  };
}

function forestRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  checkOutputs(o, nOutputs, ctx.file);
  const trees = members(o).map((t) => treeOf(t, nFeatures));
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    nOutputs: 1,
    allowsMissing: trees.every((t) => t.hasMissing) && versionAtLeast(ctx.sklearnVersion, 1, 4),
    predict(x) {
      const d = dense(x);
      const out = new Float64Array(d.rows);
      for (const t of trees)
        for (let r = 0; r < d.rows; r++) out[r] += t.values[t.leaf(d.data, r * d.cols) * t.width];
      for (let r = 0; r < d.rows; r++) out[r] /= trees.length;
      return { kind: "dense", rows: d.rows, cols: 1, data: out };
    },
  };
}

/** The tree family's builders. */
export const TREES_BUILDERS: BuilderTable = {
  DecisionTreeClassifier: treeClassifier,
  ExtraTreeClassifier: treeClassifier,
  DecisionTreeRegressor: treeRegressor,
  ExtraTreeRegressor: treeRegressor,
  RandomForestClassifier: forestClassifier,
  ExtraTreesClassifier: forestClassifier,
  RandomForestRegressor: forestRegressor,
  ExtraTreesRegressor: forestRegressor,
};
