/**
 * @module Builders of the tree family: decision trees, extra trees, random forests and extra-trees
 * ensembles (classifiers and regressors), following scikit-learn's `predict_proba` normalisation and
 * the forests' accumulation order; multi-output ones in `multi-output.ts`. Ref: sklearn `tree/_classes.py`, `ensemble/_forest.py`.
 */

import { lazy } from "../../../../explain/contributions.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { walkAddClasses, walksAddingClasses } from "../../../common/add-walk.ts";
import { thresholdMedians } from "../../../common/typical-values.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { expect } from "../../checks.ts";
import { argmaxLabels, dense, matrix } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { explainDense, float64Ensemble, sklearnShapTree } from "../../explain.ts";
import { isArrayOf, isRecord, prepared } from "../../layouts.ts";
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
import {
  type MultiOutputTrees,
  multiOutputTreeClassifier,
  multiOutputTreeRegressor,
} from "./multi-output.ts";
import { quickFinder, rowLeafFinder, rowLeavesOf, walkSteps } from "./row-leaves.ts";
import { type CompiledTree, compileTree, fitsPacked, float32Rows, hasNaN, packForest } from "./tree.ts";

/**
 * `explain` of a tree or forest as shap.TreeExplainer gives it: classifiers per class in probability
 * space (leaf fractions / number of trees), regressors in their own units.
 */
function treesExplainer(trees: readonly CompiledTree[], nFeatures: number, classes?: readonly Label[]) {
  const ensemble = lazy(() =>
    float64Ensemble(
      trees.map((t) => sklearnShapTree(t, { normalize: classes !== undefined, scaling: 1 / trees.length })),
      nFeatures,
      classes?.length ?? 1,
    ),
  );
  return (x: SkData) => explainDense(ensemble(), x, classes ?? [0], classes ? "probability" : "raw");
}

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

/** What the multi-output builders take of a tree or a forest fitted on several targets. */
function multiOutputOf(
  o: PyObject,
  trees: readonly CompiledTree[],
  allowsMissing: boolean,
): MultiOutputTrees {
  const { nFeatures, names, nOutputs } = common(o);
  return {
    trees,
    nOutputs,
    nFeatures,
    names,
    allowsMissing,
    splitMedians: () => splitMedians(o, trees, nFeatures),
  };
}

/**
 * Each leaf's class probabilities, normalised once at load exactly as sklearn does per row (the same
 * sum in the same order, zero sums left as they are), so the batch loop only looks them up. Written
 * into `p` from `at` (one tree's block of a forest's packed table).
 */
function leafProbaInto(tree: CompiledTree, k: number, p: Float64Array, at: number): void {
  for (let n = 0; n < tree.nodeCount; n++) {
    const base = n * tree.width;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += tree.values[base + c];
    if (sum === 0) sum = 1;
    for (let c = 0; c < k; c++) p[at + n * k + c] = tree.values[base + c] / sum;
  }
}

/** A tree's leaf probabilities (see {@link leafProbaInto}), prepared by the loader worker when it can. */
function leafProba(o: PyObject, tree: CompiledTree, k: number): Float64Array {
  return prepared(
    o,
    `leaf-proba/${k}`,
    () => {
      const p = new Float64Array(tree.nodeCount * k);
      leafProbaInto(tree, k, p, 0);
      return p;
    },
    (v): v is Float64Array => isArrayOf(v, Float64Array, tree.nodeCount * k),
  );
}

/** A forest's trees packed for few-row requests, with every leaf's probabilities in the same order. */
interface ForestProba {
  readonly packed: ReturnType<typeof packForest>;
  /** `k` probabilities per packed node; tree `t`'s block starts at `packed.offsets[t] * k`. */
  readonly proba: Float64Array;
}

/** The packed forest and its leaf probabilities, prepared by the loader worker when it can. */
function forestProba(o: PyObject, trees: readonly CompiledTree[], k: number): ForestProba {
  return prepared(
    o,
    `forest-proba/${k}`,
    () => {
      const packed = packForest(trees);
      const proba = new Float64Array(packed.feature.length * k);
      for (let i = 0; i < trees.length; i++) leafProbaInto(trees[i], k, proba, packed.offsets[i] * k);
      return { packed, proba };
    },
    (v): v is ForestProba =>
      isRecord(v) &&
      fitsPacked(v.packed, trees) &&
      isArrayOf(v.proba, Float64Array, v.packed.feature.length * k),
  );
}

/** Adds (or writes) one tree's probabilities for every row into `out`. */
function addTreeProba(
  tree: CompiledTree,
  proba: Float64Array,
  x32: Float32Array,
  d: DenseData,
  k: number,
  leaves: Int32Array,
  out: Float64Array,
  nan: boolean,
  rows = d.rows,
): void {
  // Walked eight rows at a time with the leaves' probabilities added as it goes (add-walk.ts), where
  // the plain walk would be taken (no NaN, or a tree that sends none left).
  if (walksAddingClasses(tree.lockstep, k) && !(nan && tree.anyMissingLeft)) {
    walkAddClasses(tree.lockstep, proba, x32, rows, d.cols, out, k);
    return;
  }
  tree.leaves(x32, rows, d.cols, leaves, nan);
  // Two and three classes (most classifiers) unrolled: the class loop cost as much as the tree walk
  // on a shallow forest (iris RF-100, 1000 rows). Same additions in the same order as the loop.
  if (k === 2) {
    for (let r = 0, o = 0; r < rows; r++, o += 2) {
      const base = leaves[r] * 2;
      out[o] += proba[base];
      out[o + 1] += proba[base + 1];
    }
  } else if (k === 3) {
    for (let r = 0, o = 0; r < rows; r++, o += 3) {
      const base = leaves[r] * 3;
      out[o] += proba[base];
      out[o + 1] += proba[base + 1];
      out[o + 2] += proba[base + 2];
    }
  } else {
    for (let r = 0, o = 0; r < rows; r++, o += k) {
      const base = leaves[r] * k;
      for (let c = 0; c < k; c++) out[o + c] += proba[base + c];
    }
  }
}

/**
 * Adds every tree's leaf probabilities (`leaves[t]`, `k` per node in `p`) for one row to `out[at…at+k)`:
 * the same additions in the same order as the tree-by-tree walk. Two and three classes (most
 * classifiers) sum in locals rather than through `out`.
 */
function addRowProba(leaves: Int32Array, p: Float64Array, k: number, out: Float64Array, at: number): void {
  const n = leaves.length;
  if (k === 2) {
    let s0 = out[at];
    let s1 = out[at + 1];
    for (let t = 0; t < n; t++) {
      const b = leaves[t] * 2;
      s0 += p[b];
      s1 += p[b + 1];
    }
    out[at] = s0;
    out[at + 1] = s1;
  } else if (k === 3) {
    let s0 = out[at];
    let s1 = out[at + 1];
    let s2 = out[at + 2];
    for (let t = 0; t < n; t++) {
      const b = leaves[t] * 3;
      s0 += p[b];
      s1 += p[b + 1];
      s2 += p[b + 2];
    }
    out[at] = s0;
    out[at + 1] = s1;
    out[at + 2] = s2;
  } else
    for (let t = 0; t < n; t++) {
      const b = leaves[t] * k;
      for (let c = 0; c < k; c++) out[at + c] += p[b + c];
    }
}

/** A classifier's tree has exactly one value column per class (else probabilities read the next node). */
function checkClassColumns(o: PyObject, tree: CompiledTree, k: number): void {
  expect(tree.width === k, o.name, "classes_", `${tree.width} classes (the tree's value columns)`, k);
}

/** Builder of `DecisionTreeClassifier` and `ExtraTreeClassifier`. */
export function treeClassifier(o: PyObject, _ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  const tree = treeOf(o, nFeatures);
  if (nOutputs !== 1) return multiOutputTreeClassifier(o, multiOutputOf(o, [tree], tree.hasMissing));
  const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
  const k = classes.length;
  checkClassColumns(o, tree, k);
  const leafP = leafProba(o, tree, k);
  const proba = (x: SkData): Matrix => {
    const d = dense(x);
    const out = new Float64Array(d.rows * k);
    const x32 = float32Rows(d.data);
    addTreeProba(tree, leafP, x32, d, k, new Int32Array(d.rows), out, hasNaN(x32));
    return matrix(d.rows, k, out);
  };
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: nFeatures,
    splitMedians: () => splitMedians(o, [tree], nFeatures),
    featureNamesIn: names,
    classes,
    allowsMissing: tree.hasMissing,
    predictProba: proba,
    predictIsArgmaxProba: true,
    predict: (x) => argmaxLabels(proba(x), classes),
    explain: treesExplainer([tree], nFeatures, classes),
  };
}

/** Builder of `DecisionTreeRegressor` and `ExtraTreeRegressor`. */
export function treeRegressor(o: PyObject, _ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  const tree = treeOf(o, nFeatures);
  if (nOutputs !== 1) return multiOutputTreeRegressor(o, multiOutputOf(o, [tree], tree.hasMissing));
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: nFeatures,
    splitMedians: () => splitMedians(o, [tree], nFeatures),
    featureNamesIn: names,
    nOutputs: 1,
    allowsMissing: tree.hasMissing,
    explain: treesExplainer([tree], nFeatures),
    predict(x) {
      const d = dense(x);
      const out = new Float64Array(d.rows);
      const leaves = new Int32Array(d.rows);
      tree.leaves(float32Rows(d.data), d.rows, d.cols, leaves);
      for (let r = 0; r < d.rows; r++) out[r] = tree.values[leaves[r] * tree.width];
      return { kind: "dense", rows: d.rows, cols: 1, data: out };
    },
  };
}

/** Split thresholds per input column over some trees: where the model draws its lines. */
function thresholdsOf(trees: readonly CompiledTree[], nFeatures: number): Float64Array[] {
  // Counted first, then filled: typed arrays, not millions of pushes.
  const counts = new Int32Array(nFeatures);
  for (const t of trees) {
    const { left, feature } = t.nodes;
    for (let i = 0; i < left.length; i++) if (left[i] !== -1) counts[feature[i]]++;
  }
  const out = Array.from(counts, (c) => new Float64Array(c));
  const at = new Int32Array(nFeatures);
  for (const t of trees) {
    const { left, feature, threshold } = t.nodes;
    for (let i = 0; i < left.length; i++)
      if (left[i] !== -1) out[feature[i]][at[feature[i]]++] = threshold[i];
  }
  return out;
}

/** The median split threshold per input column, prepared by the loader worker when it can. */
function splitMedians(o: PyObject, trees: readonly CompiledTree[], nFeatures: number): Float64Array {
  return prepared(
    o,
    `split-medians/${nFeatures}`,
    () => thresholdMedians(thresholdsOf(trees, nFeatures)),
    (v): v is Float64Array => isArrayOf(v, Float64Array, nFeatures),
  );
}

function members(o: PyObject): PyObject[] {
  const list = need(o, "estimators_");
  const items: PyValue[] = Array.isArray(list) ? list : [];
  if (items.length === 0 || !items.every(isObject))
    throw new AttributeError(`${o.name}.estimators_ is not a list of trees`);
  return items as PyObject[];
}

/**
 * Most rows a forest answers row by row (each row through every tree, eight trees in lock step) rather
 * than tree by tree (eight rows through one tree in lock step). Measured per row, predict_proba of
 * 8 and 16 rows: row by row 1.25× and 1.11× faster on a breast-cancer RandomForest-300, 1.16× and 1.04× on
 * the iris RandomForest-100; at 32 rows 1.09× and 0.95×, at 128 0.98× and 0.83×. Both add the trees in
 * the same order: the answers are the same.
 */
const FEW_ROWS_MAX = 16;

/**
 * Where a larger batch stops going tree by tree: at the last multiple of eight rows. The tree-by-tree
 * walk takes rows eight at a time; the rest (up to seven) would each walk every tree alone, one
 * dependent chain per step, while row by row takes each of them through eight trees at once. A
 * micro-batch of 31 rows then walks 24 rows tree by tree and 7 row by row. Both add the trees in the
 * same order: the answers are the same.
 */
const laneRows = (rows: number): number => rows - (rows % 8);

/**
 * What one step of the tree-by-tree walk (eight rows at a time) costs in QuickScorer's maskings, for
 * choosing how batches find their leaves (measured per row of 32- and 1000-row batches, QuickScorer
 * against the walk: the iris RandomForest-100 0.64–0.77×, work 593 against 543 steps; ExtraTrees of 32
 * leaves 0.65–0.82×, 3 510 against 2 369; the breast-cancer RandomForest-300 0.77–0.93×, 3 696 against
 * 2 263; depth-3 forests 1.03–1.13×, 560 against 300, and depth-5 forests 1.41–1.53×, 3 416 against
 * 1 000, left to the walk).
 * Below `ROW_STEP_WORK` (row-leaves.ts): the walk of eight rows keeps the processor busier than that of eight trees.
 */
const BATCH_STEP_WORK = 1.7;

/** Builder of `RandomForestClassifier` and `ExtraTreesClassifier`. */
export function forestClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  const trees = members(o).map((t) => treeOf(t, nFeatures));
  const allowsMissing = trees.every((t) => t.hasMissing) && versionAtLeast(ctx.sklearnVersion, 1, 4);
  if (nOutputs !== 1) return multiOutputTreeClassifier(o, multiOutputOf(o, trees, allowsMissing));
  const classes: Label[] = labels(need(o, "classes_"), `${o.name}.classes_`);
  const k = classes.length;
  for (const t of trees) checkClassColumns(o, t, k);
  const { packed, proba: packedP } = forestProba(o, trees, k);
  // Each tree's block of the packed table is its own leaf table for the batch path.
  const leafP = trees.map((t, i) =>
    packedP.subarray(packed.offsets[i] * k, (packed.offsets[i] + t.nodeCount) * k),
  );
  const rowLeaves = new Int32Array(trees.length);
  const finder = rowLeafFinder(o, `forest-proba/${k}`, packed, nFeatures);
  // Batches go feature by feature too where that is less work than the tree-by-tree walk (skinny
  // trees): then every row does, whatever the batch's size.
  const byFeature = finder.quick !== null && finder.quick.work < BATCH_STEP_WORK * walkSteps(packed);
  const rowFind = byFeature && finder.quick !== null ? quickFinder(finder.quick) : finder.find;
  const proba = (x: SkData): Matrix => {
    const d = dense(x);
    const out = new Float64Array(d.rows * k);
    // A few rows (single rows, small micro-batches) row by row; else tree by tree up to the last
    // multiple of eight rows, and the rest row by row.
    const byTree = byFeature || d.rows <= FEW_ROWS_MAX ? 0 : laneRows(d.rows);
    if (byTree > 0) {
      const x32 = float32Rows(d.data);
      const leaves = new Int32Array(byTree);
      const nan = hasNaN(x32);
      // sklearn adds each tree's probabilities in list order, then divides once.
      for (let t = 0; t < trees.length; t++)
        addTreeProba(trees[t], leafP[t], x32, d, k, leaves, out, nan, byTree);
    }
    for (let r = byTree; r < d.rows; r++) {
      rowFind(d.data, r * d.cols, d.cols, rowLeaves);
      addRowProba(rowLeaves, packedP, k, out, r * k);
    }
    for (let i = 0; i < out.length; i++) out[i] /= trees.length;
    return matrix(d.rows, k, out);
  };
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: nFeatures,
    splitMedians: () => splitMedians(o, trees, nFeatures),
    featureNamesIn: names,
    classes,
    allowsMissing,
    predictProba: proba,
    predictIsArgmaxProba: true,
    predict: (x) => argmaxLabels(proba(x), classes),
    explain: treesExplainer(trees, nFeatures, classes),
  };
}

/** Builder of `RandomForestRegressor` and `ExtraTreesRegressor`. */
export function forestRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const { nFeatures, names, nOutputs } = common(o);
  const trees = members(o).map((t) => treeOf(t, nFeatures));
  if (nOutputs !== 1)
    return multiOutputTreeRegressor(
      o,
      multiOutputOf(o, trees, trees.every((t) => t.hasMissing) && versionAtLeast(ctx.sklearnVersion, 1, 4)),
    );
  // A few rows (single-row requests): every tree eight at a time in lock step (row-leaves.ts).
  const rowLeaves = rowLeavesOf(o, "forest-packed", trees, nFeatures);
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: nFeatures,
    splitMedians: () => splitMedians(o, trees, nFeatures),
    featureNamesIn: names,
    nOutputs: 1,
    allowsMissing: trees.every((t) => t.hasMissing) && versionAtLeast(ctx.sklearnVersion, 1, 4),
    explain: treesExplainer(trees, nFeatures),
    predict(x) {
      const d = dense(x);
      const out = new Float64Array(d.rows);
      // As the classifier: tree by tree up to the last multiple of eight rows, the rest row by row.
      const byTree = d.rows <= FEW_ROWS_MAX ? 0 : laneRows(d.rows);
      if (byTree > 0) {
        const x32 = float32Rows(d.data);
        const leaves = new Int32Array(byTree);
        const nan = hasNaN(x32);
        for (const t of trees) {
          t.leaves(x32, byTree, d.cols, leaves, nan);
          for (let r = 0; r < byTree; r++) out[r] += t.values[leaves[r] * t.width];
        }
      }
      for (let r = byTree; r < d.rows; r++) {
        const leaves = rowLeaves(d.data, r * d.cols, d.cols);
        // Tree by tree in the forest's order, as the batch path adds them, then divided once.
        for (let i = 0; i < trees.length; i++) out[r] += trees[i].values[leaves[i] * trees[i].width];
      }
      for (let r = 0; r < d.rows; r++) out[r] /= trees.length;
      return { kind: "dense", rows: d.rows, cols: 1, data: out };
    },
  };
}
