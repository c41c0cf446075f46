/**
 * @module HistGradientBoostingClassifier/Regressor: raw = baseline + Σ leaf values of every
 * iteration's trees, walked on float64 inputs (no float32 cast): NaN by `missing_go_to_left`,
 * categorical splits by the node's left-category bitset, categories unseen in training (or negative)
 * treated as missing; numeric splits `x <= num_threshold`. Then the loss's inverse link. A 1.4+ model's
 * `_preprocessor` (ordinal-encoding the categorical columns first) runs in front.
 * Ref: sklearn `ensemble/_hist_gradient_boosting/_predictor.pyx`, `gradient_boosting.py`, `binning.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { NdArray, NdData, PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { walksAdding } from "../../../common/add-walk.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { checkIndices, checkWidth, spendNodes } from "../../checks.ts";
import { dense, expit, matrix, softmaxInPlace } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { isArrayOf, isRecord, prepared } from "../../layouts.ts";
import {
  AttributeError,
  attr,
  floats,
  isArray,
  isObject,
  labels,
  need,
  num,
  str,
  strings,
  versionAtLeast,
} from "../../py-access.ts";
import { hgbExplainer } from "./explain.ts";
import { fitsHgbRows, hgbRowLeaves, packHgbRows } from "./hgb-rows.ts";
import { walkAddHgb, walkLeavesHgb } from "./hgb-walk.ts";

/** One compiled TreePredictor. */
export interface HgbTree {
  readonly value: Float64Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly isLeaf: Uint8Array;
  readonly isCategorical: Uint8Array;
  readonly bitsetIdx: Int32Array;
  /** `raw_left_cat_bitsets`, 8 uint32 words (256 categories) per categorical split. */
  readonly leftCats: Uint32Array;
  /** Training samples through each node (TreeSHAP's cover). */
  readonly count: Float64Array;
}

/**
 * Whether any value is NaN. Not `hasNaN` of `trees/tree.ts`: that one reads float32 rows, and a
 * function reading both element types slows every caller (see `hgb-walk.ts`).
 */
function hasNaN64(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) return true;
  return false;
}

const toNumbers = (d: NdData): Float64Array =>
  d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number | bigint>, (v) => Number(v));

function field(nodes: NdArray, name: string): Float64Array {
  const f = nodes.fields?.get(name);
  if (!f) throw new AttributeError(`TreePredictor.nodes has no field ${name}`);
  return toNumbers(f);
}

/**
 * A TreePredictor's arrays, converted and checked once (in the loader worker when it runs: see
 * layouts.ts); every reference is charged to the load's node budget.
 */
function hgbTree(p: PyValue, nFeatures: number): HgbTree {
  if (!isObject(p) || p.name !== "TreePredictor")
    throw new AttributeError("a _predictors entry is not a TreePredictor");
  const t = prepared(p, `hgb-tree/${nFeatures}`, () => layoutHgbTree(p, nFeatures), isHgbTree, true);
  spendNodes(t.value.length, "a TreePredictor");
  return t;
}

/** Cheap check of a prepared TreePredictor: array types, one entry per node, whole bitset rows. */
function isHgbTree(v: unknown): v is HgbTree {
  if (!isRecord(v) || !isArrayOf(v.value, Float64Array)) return false;
  const n = v.value.length;
  return (
    isArrayOf(v.feature, Int32Array, n) &&
    isArrayOf(v.threshold, Float64Array, n) &&
    isArrayOf(v.missingLeft, Uint8Array, n) &&
    isArrayOf(v.left, Int32Array, n) &&
    isArrayOf(v.right, Int32Array, n) &&
    isArrayOf(v.isLeaf, Uint8Array, n) &&
    isArrayOf(v.isCategorical, Uint8Array, n) &&
    isArrayOf(v.bitsetIdx, Int32Array, n) &&
    isArrayOf(v.leftCats, Uint32Array) &&
    v.leftCats.length % 8 === 0 &&
    isArrayOf(v.count, Float64Array, n)
  );
}

function layoutHgbTree(p: PyObject, nFeatures: number): HgbTree {
  const nodes = need(p, "nodes");
  if (!isArray(nodes) || !nodes.fields)
    throw new AttributeError("TreePredictor.nodes is not a structured array");
  const n = nodes.shape[0];
  const left = Int32Array.from(field(nodes, "left"));
  const right = Int32Array.from(field(nodes, "right"));
  const isLeaf = Uint8Array.from(field(nodes, "is_leaf"));
  const feature = Int32Array.from(field(nodes, "feature_idx"));
  const bitsetIdx = Int32Array.from(field(nodes, "bitset_idx"));
  const isCategorical = Uint8Array.from(field(nodes, "is_categorical"));
  const bits = attr(p, "raw_left_cat_bitsets");
  const leftCats = isArray(bits) ? Uint32Array.from(toNumbers(bits.data)) : new Uint32Array(0);
  for (let i = 0; i < n; i++) {
    if (isLeaf[i]) continue;
    // Children are numbered after their parent, so walks always end.
    if (left[i] <= i || right[i] <= i || left[i] >= n || right[i] >= n)
      throw new AttributeError(`TreePredictor node ${i} has invalid children`);
    if (feature[i] < 0 || feature[i] >= nFeatures)
      throw new AttributeError(`TreePredictor node ${i} splits on feature ${feature[i]} of ${nFeatures}`);
    if (isCategorical[i])
      checkIndices([bitsetIdx[i]], leftCats.length / 8, "TreePredictor", `nodes[${i}].bitset_idx`);
  }
  const value = field(nodes, "value");
  if (value.length !== n)
    throw new AttributeError(`TreePredictor.nodes holds ${value.length} values for ${n} nodes`);
  return {
    value,
    feature,
    threshold: field(nodes, "num_threshold"),
    missingLeft: Uint8Array.from(field(nodes, "missing_go_to_left")),
    left,
    right,
    isLeaf,
    isCategorical,
    bitsetIdx,
    leftCats,
    count: field(nodes, "count"),
  };
}

const inBitset = (words: Uint32Array, row: number, c: number): boolean =>
  ((words[row * 8 + (c >>> 5)] >>> (c & 31)) & 1) === 1;

/** The known categories of each categorical feature as bitsets, with the feature → bitset row map. */
function knownCategories(o: PyObject, nFeatures: number): { known: Uint32Array; fmap: Int32Array } {
  const fmap = new Int32Array(nFeatures).fill(-1);
  const mapper = attr(o, "_bin_mapper");
  const isCat = isObject(mapper) ? attr(mapper, "is_categorical_") : undefined;
  if (!isObject(mapper) || !isArray(isCat)) return { known: new Uint32Array(0), fmap };
  const flags = toNumbers(isCat.data);
  checkWidth(flags.length, nFeatures, "_BinMapper", "is_categorical_");
  const thresholds = need(mapper, "bin_thresholds_");
  if (!Array.isArray(thresholds)) throw new AttributeError("_BinMapper.bin_thresholds_ is not a list");
  const cats: number[] = [];
  flags.forEach((f, i) => {
    if (f) {
      fmap[i] = cats.length;
      cats.push(i);
    }
  });
  const known = new Uint32Array(cats.length * 8);
  cats.forEach((f, row) => {
    for (const v of floats(thresholds[f], "bin_thresholds_").data) {
      const c = Math.trunc(v);
      if (c >= 0 && c < 256) known[row * 8 + (c >>> 5)] |= 1 << (c & 31);
    }
  });
  return { known, fmap };
}

const LINKS: Readonly<Record<string, "identity" | "log">> = {
  squared_error: "identity",
  least_squares: "identity",
  absolute_error: "identity",
  least_absolute_deviation: "identity",
  quantile: "identity",
  poisson: "log",
  gamma: "log",
};

/** Builder of `HistGradientBoostingClassifier` and `HistGradientBoostingRegressor`. */
export function histGradientBoosting(o: PyObject, ctx: BuildContext): SkEstimator {
  const classifier = o.name === "HistGradientBoostingClassifier";
  const modern = versionAtLeast(ctx.sklearnVersion, 1, 4);
  const pre = attr(o, "_preprocessor");
  const preprocessor = isObject(pre) ? ctx.build(pre, `${o.name}._preprocessor`) : undefined;
  if (preprocessor && !preprocessor.transform)
    throw Errors.unsupportedModel(
      ctx.file,
      `${preprocessor.className} as a HistGradientBoosting preprocessor`,
    );
  const nIn = num(need(o, "n_features_in_"), `${o.name}.n_features_in_`);
  // The trees split on the preprocessor's output columns (as many as the inputs: an ordinal encoding).
  const nFeatures = nIn;
  const predictors = need(o, "_predictors");
  if (!Array.isArray(predictors)) throw new AttributeError(`${o.name}._predictors is not a list`);
  const iterations = predictors.map((it) => {
    if (!Array.isArray(it)) throw new AttributeError(`${o.name}._predictors holds a non-list`);
    return it.map((p) => hgbTree(p, nFeatures));
  });
  const baseline = floats(need(o, "_baseline_prediction"), `${o.name}._baseline_prediction`).data;
  const k = baseline.length;
  if (iterations.some((it) => it.length !== k))
    throw new AttributeError(`${o.name}: trees per iteration differ from the baseline's ${k} values`);
  const { known, fmap } = knownCategories(o, nFeatures);
  const loss = str(attr(o, "loss")) ?? (classifier ? "log_loss" : "squared_error");
  let link: "identity" | "log" = "identity";
  if (!classifier) {
    const l = LINKS[loss];
    if (!l) throw Errors.unsupportedModel(ctx.file, `HistGradientBoostingRegressor(loss="${loss}")`);
    link = l;
  }
  const classes = classifier ? labels(need(o, "classes_"), `${o.name}.classes_`) : undefined;
  if (classes && (k === 1) !== (classes.length === 2))
    throw new AttributeError(`${o.name} has ${k} trees per iteration for ${classes.length} classes`);

  /** Whether a value goes left at internal node `i`. */
  const goLeft = (t: HgbTree, i: number, v: number): boolean => {
    if (Number.isNaN(v)) return t.missingLeft[i] === 1;
    if (t.isCategorical[i]) {
      // Negative values count as missing; others are cast to a uint8 category as compiled C does
      // (`<uint8_t>` of a double: a 32-bit truncation, INT_MIN beyond 2^31, then its low byte), so
      // 259 reads as 3 and 2^31 + 3 as 0 — what scikit-learn before 1.4 answers for codes above 255.
      if (v < 0) return t.missingLeft[i] === 1;
      const c = v >= 2147483648 ? 0 : Math.trunc(v) & 0xff;
      if (inBitset(t.leftCats, t.bitsetIdx[i], c)) return true;
      if (fmap[t.feature[i]] >= 0 && inBitset(known, fmap[t.feature[i]], c)) return false;
      return t.missingLeft[i] === 1;
    }
    return v <= t.threshold[i];
  };
  const walk = (t: HgbTree, x: Float64Array, at: number): number => {
    let i = 0;
    while (t.isLeaf[i] === 0) i = goLeft(t, i, x[at + t.feature[i]]) ? t.left[i] : t.right[i];
    return i;
  };
  const explain = hgbExplainer(iterations, baseline, nFeatures, goLeft, preprocessor, classes);

  // Rows without NaN: the numeric trees eight at a time in lock step (hgb-rows.ts), row by row.
  const trees = iterations.flat();
  const packedRows = prepared(
    o,
    "hgb-rows",
    () => packHgbRows(trees),
    (v) => fitsHgbRows(v, trees),
  );
  const rowLeaves = new Int32Array(trees.length);
  // Each packed node's value, for the batch walk (packed node `roots[t] + n` is tree `t`'s node `n`).
  const packedValues = new Float64Array(packedRows.lockstep.isLeaf.length);
  trees.forEach((t, i) => {
    if (packedRows.roots[i] >= 0) packedValues.set(t.value, packedRows.roots[i]);
  });
  const rawPredict = (x: SkData): { raw: Float64Array; rows: number } => {
    const d = dense(preprocessor ? preprocessor.transform!(x) : x);
    if (d.cols !== nFeatures)
      throw new AttributeError(`${o.name} expects ${nFeatures} columns, got ${d.cols}`);
    const raw = new Float64Array(d.rows * k);
    for (let r = 0; r < d.rows; r++) for (let c = 0; c < k; c++) raw[r * k + c] = baseline[c];
    // A batch without NaN: tree by tree, eight rows at a time through each numeric tree, its leaves'
    // values added as the walk ends (hgb-walk.ts); rows in blocks that stay in cache while every tree
    // reads them. Each row still adds its trees' values in the model's order.
    if (packedRows.walked > 0 && d.rows >= 8 && !hasNaN64(d.data)) {
      const { lockstep, roots } = packedRows;
      const batchLeaves = new Int32Array(d.rows);
      const block = Math.max(8, Math.floor(4096 / d.cols) & ~7);
      for (let b = 0; b < d.rows; b += block) {
        const end = Math.min(d.rows, b + block);
        for (let t = 0; t < trees.length; t++) {
          if (roots[t] >= 0 && walksAdding(lockstep, roots[t])) {
            walkAddHgb(lockstep, roots[t], d.data, b, end, d.cols, packedValues, raw, k, t % k);
          } else if (roots[t] >= 0) {
            // Deeper than the fixed walk: eight rows at a time until all eight reach a leaf.
            walkLeavesHgb(lockstep, roots[t], d.data, b, end, d.cols, batchLeaves);
            for (let r = b; r < end; r++) raw[r * k + (t % k)] += packedValues[batchLeaves[r]];
          } else {
            for (let r = b; r < end; r++)
              raw[r * k + (t % k)] += trees[t].value[walk(trees[t], d.data, r * d.cols)];
          }
        }
      }
      return { raw, rows: d.rows };
    }
    if (packedRows.walked > 0) {
      const { order, walked } = packedRows;
      for (let r = 0; r < d.rows; r++) {
        const at = r * d.cols;
        if (hgbRowLeaves(packedRows, d.data, at, d.cols, rowLeaves))
          for (let g = walked; g < trees.length; g++) rowLeaves[order[g]] = walk(trees[order[g]], d.data, at);
        else for (let t = 0; t < trees.length; t++) rowLeaves[t] = walk(trees[t], d.data, at);
        // Added in the model's order, iteration by iteration, as below.
        for (let t = 0; t < trees.length; t++) raw[r * k + (t % k)] += trees[t].value[rowLeaves[t]];
      }
      return { raw, rows: d.rows };
    }
    for (const it of iterations) {
      for (let c = 0; c < k; c++) {
        const t = it[c];
        for (let r = 0; r < d.rows; r++) raw[r * k + c] += t.value[walk(t, d.data, r * d.cols)];
      }
    }
    return { raw, rows: d.rows };
  };

  const base = {
    className: o.name,
    explain,
    nFeaturesIn: preprocessor?.nFeaturesIn ?? nIn,
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? preprocessor?.featureNamesIn,
    allowsMissing: true,
    // The preprocessor's encoder maps unknown categories and missing values to NaN, which the trees
    // route as missing: every input is nullable and unknown categories are accepted, as in scikit-learn.
    ...(preprocessor?.inputSpecs
      ? {
          inputSpecs: () =>
            preprocessor.inputSpecs!()?.map((f) => ({
              ...f,
              nullable: true,
              ...(f.categories ? { allowUnknownCategories: true } : {}),
            })),
        }
      : {}),
  };
  if (!classifier) {
    return {
      ...base,
      role: "regressor",
      nOutputs: 1,
      predict: (x) => {
        const { raw, rows } = rawPredict(x);
        if (link === "log") for (let r = 0; r < rows; r++) raw[r] = Math.exp(raw[r]);
        return { kind: "dense", rows, cols: 1, data: raw };
      },
    };
  }
  const cls = classes!;
  const probaOf = (raw: Float64Array, rows: number): Matrix => {
    if (k === 1) {
      const out = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const p1 = expit(raw[r]);
        out[r * 2 + 1] = p1;
        out[r * 2] = 1 - p1;
      }
      return matrix(rows, 2, out);
    }
    const out = raw.slice(0, rows * k);
    softmaxInPlace(out, rows, k);
    return matrix(rows, k, out);
  };
  const argmax = (m: Float64Array, rows: number, cols: number): Label[] =>
    Array.from({ length: rows }, (_, r) => {
      let best = 0;
      for (let c = 1; c < cols; c++) if (m[r * cols + c] > m[r * cols + best]) best = c;
      return cls[best];
    });
  return {
    ...base,
    role: "classifier",
    classes: cls,
    predictProba: (x) => {
      const { raw, rows } = rawPredict(x);
      return probaOf(raw, rows);
    },
    decisionFunction: (x) => {
      const { raw, rows } = rawPredict(x);
      return matrix(rows, k, raw);
    },
    predict: (x) => {
      const { raw, rows } = rawPredict(x);
      // ≥ 1.4: binary `raw > 0`, else argmax of the raw scores; before: argmax of the probabilities.
      if (modern)
        return k === 1
          ? Array.from({ length: rows }, (_, r) => cls[raw[r] > 0 ? 1 : 0])
          : argmax(raw, rows, k);
      const p = probaOf(raw, rows);
      return argmax(p.data, rows, p.cols);
    },
  };
}
