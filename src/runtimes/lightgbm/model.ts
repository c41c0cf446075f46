/**
 * @module A LightGBM text model (`save_model` / CLI `output_model`) parsed and compiled into flat
 * typed arrays, predicted exactly as LightGBM does: double arithmetic, `decision_type` bits (default
 * direction, missing type None/Zero/NaN), categorical bitsets, linear trees, objective transforms.
 * Ref: LightGBM `src/io/tree.cpp`, `include/LightGBM/tree.h`, `src/boosting/gbdt_model_text.cpp`.
 * Long because parsing, the structural checks and evaluation share the flat layout's invariants (node
 * numbering, decision bits, bitset offsets); kept together so a change to one is seen by the others.
 */

import { libmExp } from "../common/libm-exp.ts";
import { treesByDepth, walkTreesOfRow } from "../common/lockstep-walk.ts";
import {
  boundedCount,
  checkNodeTotal,
  InconsistencyError,
  indicesWithin,
  MAX_MODEL_FEATURES,
  relativeCap,
} from "../common/model-bounds.ts";
import { type LightgbmLockstep, lockstepDepths, lockstepLayout, walkRows } from "./lockstep.ts";

/** Why a model cannot be compiled; the runtime turns it into a ModelServeError. */
export class LightgbmError extends Error {
  /** True when the model is valid but uses something not implemented. */
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.unsupported = unsupported;
  }
}

/** `kZeroThreshold`: the float32 value of 1e-35. */
const ZERO_THRESHOLD = Math.fround(1e-35);
const CATEGORICAL = 1;
const DEFAULT_LEFT = 2;
/** A numeric split's missing-value rule (`decision_type` bits 2–3), and categorical splits. */
const MISSING_NONE = 0;
const MISSING_ZERO = 1;
const MISSING_NAN = 2;
const CAT = 3;

/** How raw scores become outputs. */
type Transform = "sigmoid" | "softmax" | "ova" | "exp" | "identity" | "xentropy" | "xentlambda" | "sqrt";

/** What a parsed model offers. */
export interface LightgbmModel {
  readonly objective: string;
  readonly transform: Transform;
  readonly numClass: number;
  /** Trees per iteration (classes for multiclass, else 1). */
  readonly perIteration: number;
  readonly featureNames: readonly string[];
  /** `feature_infos`: `[min:max]` ranges, category lists, or none. */
  readonly featureInfos: readonly (
    | { readonly min: number; readonly max: number }
    | { readonly categories: readonly number[] }
    | null
  )[];
  readonly numTrees: number;
  /** Numeric split thresholds per feature (where the model draws its lines; for doc examples). */
  readonly splitThresholds: readonly (readonly number[])[];
  readonly version: string;
  readonly boosting: string;
  /** Raw scores (LightGBM's `raw_score=True`: the sum of the trees), rows × perIteration. */
  raw(x: Float64Array, rows: number, cols: number): Float64Array;
  /** Objective transform of raw scores (new array). */
  convert(raw: Float64Array, rows: number): Float64Array;
  /** The parsed trees, as TreeSHAP explanations read them. */
  readonly trees: readonly LightgbmTree[];
}

/** One parsed tree: internal nodes `0..numLeaves-2`, children `< 0` are leaves `~child`. */
export interface LightgbmTree {
  readonly numLeaves: number;
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly decision: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly leafValue: readonly number[];
  readonly catBoundaries: readonly number[];
  readonly catThreshold: readonly number[];
  readonly linear: boolean;
  /** Training rows through each internal node and leaf (the covers of TreeSHAP), when the file has them. */
  readonly internalCount?: readonly number[];
  readonly leafCount?: readonly number[];
}

function numbers(s: string | undefined, what: string, expected?: number): number[] {
  if (s === undefined) throw new LightgbmError(`${what} is missing`);
  const parts = s.trim() === "" ? [] : s.trim().split(/\s+/);
  const out = parts.map((tok) => {
    const v = Number(tok);
    if (!Number.isNaN(v)) return v;
    if (/^nan$/i.test(tok)) return Number.NaN;
    if (/^[+]?inf(inity)?$/i.test(tok)) return Number.POSITIVE_INFINITY;
    if (/^-inf(inity)?$/i.test(tok)) return Number.NEGATIVE_INFINITY;
    throw new LightgbmError(`${what} holds "${tok}", which is not a number`);
  });
  if (expected !== undefined && out.length !== expected)
    throw new LightgbmError(`${what} has ${out.length} values, expected ${expected}`);
  return out;
}

function parseObjective(line: string | undefined): { name: string; transform: Transform; sigmoid: number } {
  if (!line) return { name: "custom", transform: "identity", sigmoid: 1 };
  const tokens = line.trim().split(/\s+/);
  const name = tokens[0];
  const param = (key: string) => {
    const t = tokens.find((x) => x.startsWith(`${key}:`));
    return t === undefined ? undefined : Number(t.slice(key.length + 1));
  };
  const sigmoid = param("sigmoid") ?? 1;
  switch (name) {
    case "binary":
      return { name, transform: "sigmoid", sigmoid };
    case "multiclass":
    case "softmax":
      return { name, transform: "softmax", sigmoid };
    case "multiclassova":
    case "multiclass_ova":
    case "ova":
    case "ovr":
      return { name, transform: "ova", sigmoid };
    case "cross_entropy":
    case "xentropy":
      return { name, transform: "xentropy", sigmoid };
    case "cross_entropy_lambda":
    case "xentlambda":
      return { name, transform: "xentlambda", sigmoid };
    case "poisson":
    case "gamma":
    case "tweedie":
      return { name, transform: "exp", sigmoid };
    case "regression":
    case "regression_l2":
    case "l2":
    case "mean_squared_error":
    case "mse":
    case "l2_root":
    case "root_mean_squared_error":
    case "rmse":
      return { name, transform: tokens.includes("sqrt") ? "sqrt" : "identity", sigmoid };
    case "regression_l1":
    case "l1":
    case "mean_absolute_error":
    case "mae":
    case "huber":
    case "fair":
    case "quantile":
    case "mape":
    case "mean_absolute_percentage_error":
    case "lambdarank":
    case "rank_xendcg":
    case "xendcg":
    case "custom":
      return { name, transform: "identity", sigmoid };
    default:
      throw new LightgbmError(`objective "${name}"`, true);
  }
}

function parseInfo(s: string): { min: number; max: number } | { categories: number[] } | null {
  if (s === "none") return null;
  const range = /^\[(.+):(.+)\]$/.exec(s);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const cats = s.split(":").map(Number);
  return cats.every((c) => Number.isInteger(c)) ? { categories: cats } : null;
}

/** Parses `key=value` lines of one block. */
function keyValues(lines: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
    else if (line.trim()) m.set(line.trim(), "");
  }
  return m;
}

/** One tree as read from the text, with its place in the flat arrays and its linear-leaf terms. */
interface ParsedTree extends LightgbmTree {
  readonly leafConst: number[];
  readonly leafFeatures: number[][];
  readonly leafCoeff: number[][];
  readonly nodeBase: number;
  readonly leafBase: number;
}

/**
 * A LightGBM text model read and checked, before compiling: plain data (numbers, strings, arrays), so
 * that a loader worker can read it off the event loop and hand it over with `postMessage`.
 */
export interface LightgbmParsed {
  readonly objectiveName: string;
  readonly objective: { readonly name: string; readonly transform: Transform; readonly sigmoid: number };
  /** `average_output`: a random forest averages its trees. */
  readonly average: boolean;
  readonly numClass: number;
  readonly perIteration: number;
  /** `max_feature_idx + 1`. */
  readonly nFeatures: number;
  readonly featureNames: readonly string[];
  readonly infos: LightgbmModel["featureInfos"];
  readonly boosting: string;
  readonly version: string;
  readonly trees: readonly ParsedTree[];
  /** Internal nodes and leaves over all trees. */
  readonly nodes: number;
  readonly leaves: number;
}

/** Reads a LightGBM text model and checks its structure (every tree a tree, indices in range). */
export function readLightgbm(text: string): LightgbmParsed {
  const all = text.split(/\r?\n/);
  if (all[0]?.trim() !== "tree") throw new LightgbmError('the file does not start with "tree"');
  const firstTree = all.findIndex((l) => l.startsWith("Tree="));
  const endTrees = all.findIndex((l) => l.trim() === "end of trees");
  const header = keyValues(all.slice(1, firstTree < 0 ? all.length : firstTree));
  const numClass = Number(header.get("num_class") ?? "1");
  const perIteration = Number(header.get("num_tree_per_iteration") ?? String(numClass));
  const maxFeature = Number(header.get("max_feature_idx"));
  if (!Number.isInteger(numClass) || numClass < 1 || !Number.isInteger(perIteration) || perIteration < 1) {
    throw new LightgbmError("num_class / num_tree_per_iteration are invalid");
  }
  if (!Number.isInteger(maxFeature) || maxFeature < 0)
    throw new LightgbmError("max_feature_idx is missing or invalid");
  // Counts size arrays and the request schema: bounded by what a file of this size can describe.
  boundedCount(maxFeature + 1, "max_feature_idx + 1", relativeCap(text.length, MAX_MODEL_FEATURES), 1);
  boundedCount(numClass, "num_class", relativeCap(text.length, 1 << 20), 1);
  boundedCount(perIteration, "num_tree_per_iteration", relativeCap(text.length, 1 << 20), 1);
  const nFeatures = maxFeature + 1;
  const objective = parseObjective(header.get("objective"));
  const average = header.has("average_output");
  const featureNames = (header.get("feature_names") ?? "").trim().split(/\s+/).filter(Boolean);
  if (featureNames.length !== 0 && featureNames.length !== nFeatures) {
    throw new LightgbmError(`feature_names lists ${featureNames.length} names for ${nFeatures} features`);
  }
  const infos = (header.get("feature_infos") ?? "").trim().split(/\s+/).filter(Boolean).map(parseInfo);
  const params = all.slice(Math.max(endTrees, 0)).find((l) => l.startsWith("[boosting: "));
  const boosting = params ? params.slice("[boosting: ".length, -1) : average ? "rf" : "gbdt";
  if (firstTree < 0) throw new LightgbmError("the file holds no trees");
  if (endTrees < 0) throw new LightgbmError('the file is truncated: "end of trees" is missing');

  // Split the tree blocks.
  const blocks: Map<string, string>[] = [];
  let cur: string[] | undefined;
  for (let i = firstTree; i < endTrees; i++) {
    const line = all[i];
    if (line.startsWith("Tree=")) {
      if (cur) blocks.push(keyValues(cur));
      cur = [];
    } else if (cur) cur.push(line);
  }
  if (cur) blocks.push(keyValues(cur));
  if (blocks.length % perIteration !== 0) {
    throw new LightgbmError(
      `${blocks.length} trees is not a multiple of ${perIteration} trees per iteration`,
    );
  }

  // Compile every tree into shared flat arrays. Internal node k of tree t is nodeBase[t] + k; leaf
  // l is leafBase[t] + l. Children < 0 encode leaves as ~leaf.
  let nodes = 0;
  let leaves = 0;
  const parsed = blocks.map((b, t): ParsedTree => {
    const numLeaves = Number(b.get("num_leaves"));
    if (!Number.isInteger(numLeaves) || numLeaves < 1)
      throw new LightgbmError(`tree ${t}: num_leaves is invalid`);
    const inner = numLeaves - 1;
    const numCat = Number(b.get("num_cat") ?? "0");
    const tree = {
      numLeaves,
      feature: inner > 0 ? numbers(b.get("split_feature"), `tree ${t} split_feature`, inner) : [],
      threshold: inner > 0 ? numbers(b.get("threshold"), `tree ${t} threshold`, inner) : [],
      decision: inner > 0 ? numbers(b.get("decision_type"), `tree ${t} decision_type`, inner) : [],
      left: inner > 0 ? numbers(b.get("left_child"), `tree ${t} left_child`, inner) : [],
      right: inner > 0 ? numbers(b.get("right_child"), `tree ${t} right_child`, inner) : [],
      leafValue: numbers(b.get("leaf_value"), `tree ${t} leaf_value`, numLeaves),
      catBoundaries:
        numCat > 0 ? numbers(b.get("cat_boundaries"), `tree ${t} cat_boundaries`, numCat + 1) : [],
      catThreshold: numCat > 0 ? numbers(b.get("cat_threshold"), `tree ${t} cat_threshold`) : [],
      linear: b.get("is_linear") === "1",
      internalCount:
        b.has("internal_count") && inner > 0
          ? numbers(b.get("internal_count"), `tree ${t} internal_count`, inner)
          : undefined,
      leafCount: b.has("leaf_count")
        ? numbers(b.get("leaf_count"), `tree ${t} leaf_count`, numLeaves)
        : undefined,
      leafConst: [] as number[],
      leafFeatures: [] as number[][],
      leafCoeff: [] as number[][],
      nodeBase: nodes,
      leafBase: leaves,
    };
    if (tree.linear) {
      tree.leafConst = numbers(b.get("leaf_const"), `tree ${t} leaf_const`, numLeaves);
      const counts = numbers(b.get("num_features"), `tree ${t} num_features`, numLeaves);
      const feats = numbers(b.get("leaf_features"), `tree ${t} leaf_features`);
      const coeffs = numbers(b.get("leaf_coeff"), `tree ${t} leaf_coeff`);
      let at = 0;
      for (const c of counts) {
        tree.leafFeatures.push(feats.slice(at, at + c));
        tree.leafCoeff.push(coeffs.slice(at, at + c));
        at += c;
      }
      if (at !== feats.length || at !== coeffs.length)
        throw new LightgbmError(`tree ${t}: linear leaf coefficients do not add up`);
      indicesWithin(feats, nFeatures, `tree ${t} leaf_features`);
    }
    // Category bitsets: boundaries rise within the tree's cat_threshold words.
    for (let k = 0; k < tree.catBoundaries.length; k++) {
      const b = tree.catBoundaries[k];
      const prev = k === 0 ? 0 : tree.catBoundaries[k - 1];
      if (!(Number.isInteger(b) && b >= prev && b <= tree.catThreshold.length))
        throw new InconsistencyError(
          `tree ${t} cat_boundaries should rise within its ${tree.catThreshold.length} cat_threshold words, found ${b} at position ${k}`,
        );
    }
    for (let k = 0; k < inner; k++) {
      const f = tree.feature[k];
      if (!Number.isInteger(f) || f < 0 || f >= nFeatures)
        throw new LightgbmError(`tree ${t}: split on feature ${f} of ${nFeatures}`);
      for (const c of [tree.left[k], tree.right[k]]) {
        if (!Number.isInteger(c) || (c >= 0 ? c >= inner : ~c >= numLeaves))
          throw new LightgbmError(`tree ${t}: child ${c} is out of range`);
      }
    }
    // Each internal node reached once from the root: a tree, not a graph (so walks always end).
    if (inner > 0) {
      const seen = new Uint8Array(inner);
      const stack = [0];
      while (stack.length > 0) {
        const k = stack.pop()!;
        if (seen[k])
          throw new InconsistencyError(`tree ${t} should be a tree, but node ${k} is reached twice`);
        seen[k] = 1;
        for (const c of [tree.left[k], tree.right[k]]) if (c >= 0) stack.push(c);
      }
    }
    nodes += inner;
    leaves += numLeaves;
    checkNodeTotal(nodes + leaves, "the model's trees");
    return tree;
  });
  return {
    objectiveName: header.get("objective") ?? "custom",
    objective,
    average,
    numClass,
    perIteration,
    nFeatures,
    featureNames,
    infos,
    boosting,
    version: header.get("version") ?? "unknown",
    trees: parsed,
    nodes,
    leaves,
  };
}

/**
 * A read model laid out in flat typed arrays, before its prediction functions exist: plain data, so that
 * a loader worker can build it off the event loop and hand it over.
 */
export interface LightgbmLayout {
  readonly parsed: LightgbmParsed;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly decision: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly catStart: Int32Array;
  readonly catEnd: Int32Array;
  readonly leafValue: Float64Array;
  readonly words: Uint32Array;
  readonly roots: Int32Array;
  readonly leafBases: Int32Array;
  readonly splitThresholds: readonly (readonly number[])[];
  /** The trees that batches walk eight rows at a time (see lockstep.ts). */
  readonly lockstep: LightgbmLockstep;
}

/** Lays a read model out in flat typed arrays (node numbering, categorical bitsets), with its checks. */
export function layoutLightgbm(p: LightgbmParsed): LightgbmLayout {
  const { nodes, leaves } = p;
  const parsed = p.trees;
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const decision = new Uint8Array(nodes);
  const left = new Int32Array(nodes);
  const right = new Int32Array(nodes);
  const catStart = new Int32Array(nodes);
  const catEnd = new Int32Array(nodes);
  const leafValue = new Float64Array(leaves);
  const catWords: number[] = [];
  const roots = new Int32Array(parsed.length);
  const leafBases = new Int32Array(parsed.length);
  parsed.forEach((t, ti) => {
    roots[ti] = t.numLeaves > 1 ? t.nodeBase : -1;
    leafBases[ti] = t.leafBase;
    leafValue.set(t.leafValue, t.leafBase);
    const wordBase = catWords.length;
    // One push per word: spreading a huge array as arguments would overflow the stack.
    for (const w of t.catThreshold) catWords.push(w);
    for (let k = 0; k < t.numLeaves - 1; k++) {
      const g = t.nodeBase + k;
      feature[g] = t.feature[k];
      threshold[g] = t.threshold[k];
      decision[g] = t.decision[k];
      // Children stay tree-local: internal children are offset, leaves keep their ~index.
      left[g] = t.left[k] >= 0 ? t.nodeBase + t.left[k] : t.left[k];
      right[g] = t.right[k] >= 0 ? t.nodeBase + t.right[k] : t.right[k];
      if (decision[g] & CATEGORICAL) {
        const ci = t.threshold[k];
        if (!Number.isInteger(ci) || ci < 0 || ci + 1 >= t.catBoundaries.length)
          throw new LightgbmError(`tree ${ti}: categorical split ${k} has no bitset`);
        catStart[g] = wordBase + t.catBoundaries[ci];
        catEnd[g] = wordBase + t.catBoundaries[ci + 1];
      }
    }
  });
  const splitThresholds: number[][] = p.featureNames.map(() => []);
  for (let g = 0; g < nodes; g++)
    if (!(decision[g] & CATEGORICAL)) splitThresholds[feature[g]]?.push(threshold[g]);
  const words = Uint32Array.from(catWords);
  return {
    parsed: p,
    feature,
    threshold,
    decision,
    left,
    right,
    catStart,
    catEnd,
    leafValue,
    words,
    roots,
    leafBases,
    splitThresholds,
    lockstep: lockstepLayout(parsed),
  };
}

/** Binds a laid-out model's prediction functions (cheap: closures over its arrays). */
export function bindLightgbm(layout: LightgbmLayout): LightgbmModel {
  const p = layout.parsed;
  const { objective, average, numClass, perIteration, nFeatures, featureNames } = p;
  const { feature, threshold, decision, left, right, catStart, catEnd, leafValue, words, roots } = layout;
  const { leafBases, splitThresholds, lockstep } = layout;
  const parsed = p.trees;
  const linear = parsed.map((t) => (t.linear ? t : undefined));
  const anyLinear = linear.some((t) => t !== undefined);
  const numTrees = parsed.length;
  const iterations = numTrees / perIteration;

  // Each node's rule decoded once (the walk below runs per row and tree): how a missing value is
  // treated, and the default direction.
  const kind = new Uint8Array(decision.length);
  for (let n = 0; n < decision.length; n++) {
    const dt = decision[n];
    const missing = (dt >> 2) & 3;
    // Type 3 is not one LightGBM writes; read as "none", as the rule below always did.
    kind[n] = dt & CATEGORICAL ? CAT : missing === 3 ? MISSING_NONE : missing;
  }
  const leafOf = (t: number, x: Float64Array, at: number): number => {
    let n = roots[t];
    if (n < 0) return 0;
    // Every walk ends: each internal node is reached once from its root (checked when read).
    for (;;) {
      const k = kind[n];
      let v = x[at + feature[n]];
      let goLeft: boolean;
      if (k === MISSING_NAN)
        goLeft = Number.isNaN(v) ? (decision[n] & DEFAULT_LEFT) !== 0 : v <= threshold[n];
      else if (k === MISSING_NONE) goLeft = (Number.isNaN(v) ? 0 : v) <= threshold[n];
      else if (k === MISSING_ZERO) {
        if (Number.isNaN(v)) v = 0;
        goLeft =
          v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD
            ? (decision[n] & DEFAULT_LEFT) !== 0
            : v <= threshold[n];
      } else if (Number.isNaN(v) || v < 0) goLeft = false;
      else {
        // NaN and negative categories go right; otherwise test the category's bit.
        const c = Math.trunc(v);
        const w = catStart[n] + (c >>> 5);
        goLeft = c < 2 ** 31 && w < catEnd[n] && ((words[w] >>> (c & 31)) & 1) === 1;
      }
      const next = goLeft ? left[n] : right[n];
      if (next < 0) return ~next;
      n = next;
    }
  };

  // Single rows without NaN: the lock-step trees walk eight at a time (walkTreesOfRow), shallowest
  // first; trees outside the lock-step layout, or too deep to record, one at a time (leafOf).
  const rowSteps = lockstepDepths(lockstep);
  const { order: rowOrder, walked: rowWalked } = treesByDepth(rowSteps);
  const rowLeaves = new Int32Array(numTrees);
  /** Each tree's leaf for row `at` (tree-local), every tree; false when the row holds a NaN. */
  const rowLeavesOf = (x: Float64Array, at: number, cols: number): boolean => {
    for (let c = at; c < at + cols; c++) if (Number.isNaN(x[c])) return false;
    walkTreesOfRow(lockstep, lockstep.root, rowSteps, rowOrder, rowWalked, x, at, rowLeaves);
    for (let i = 0; i < rowWalked; i++) rowLeaves[rowOrder[i]] = lockstep.leaf[rowLeaves[rowOrder[i]]];
    for (let i = rowWalked; i < numTrees; i++) rowLeaves[rowOrder[i]] = leafOf(rowOrder[i], x, at);
    return true;
  };

  const leafOutput = (t: number, leaf: number, x: Float64Array, at: number): number => {
    const lin = linear[t];
    if (!lin) return leafValue[leafBases[t] + leaf];
    const feats = lin.leafFeatures[leaf];
    let out = lin.leafConst[leaf];
    for (let k = 0; k < feats.length; k++) {
      const v = x[at + feats[k]];
      if (Number.isNaN(v)) return leafValue[leafBases[t] + leaf];
      out += lin.leafCoeff[leaf][k] * v;
    }
    return out;
  };

  return {
    splitThresholds,
    objective: p.objectiveName,
    transform: objective.transform,
    numClass,
    perIteration,
    featureNames,
    featureInfos: p.infos,
    numTrees,
    version: p.version,
    boosting: p.boosting,
    trees: parsed,
    raw(x, rows, cols) {
      if (cols !== nFeatures) throw new LightgbmError(`rows have ${cols} features, the model ${nFeatures}`);
      const out = new Float64Array(rows * perIteration);
      // Tree by tree up to the last multiple of eight rows (eligible trees take eight rows at a time;
      // the rest would walk each tree alone), the rest row by row below (eight trees at a time). Each
      // row adds its trees in the model's order either way.
      const byTree = !anyLinear && rows >= 8 ? rows - (rows % 8) : 0;
      if (byTree > 0) {
        // Tree by tree over blocks of rows: eligible trees eight rows at a time, the others row by row.
        const leaves = new Int32Array(byTree);
        const block = 256;
        for (let b = 0; b < byTree; b += block) {
          const end = Math.min(byTree, b + block);
          for (let t = 0; t < numTrees; t++) {
            const k = t % perIteration;
            const base = leafBases[t];
            if (lockstep.root[t] >= 0) {
              walkRows(lockstep, t, x, b, end, cols, leaves);
              for (let r = b; r < end; r++) out[r * perIteration + k] += leafValue[base + leaves[r]];
            } else
              for (let r = b; r < end; r++)
                out[r * perIteration + k] += leafValue[base + leafOf(t, x, r * cols)];
          }
        }
        if (byTree === rows) return out;
      }
      if (!anyLinear && perIteration === 1) {
        // Few rows: one row at a time, one output, constant leaves.
        for (let r = byTree; r < rows; r++) {
          const at = r * cols;
          let sum = 0;
          if (rowLeavesOf(x, at, cols))
            for (let t = 0; t < numTrees; t++) sum += leafValue[leafBases[t] + rowLeaves[t]];
          else for (let t = 0; t < numTrees; t++) sum += leafValue[leafBases[t] + leafOf(t, x, at)];
          out[r] = sum;
        }
        return out;
      }
      for (let r = byTree; r < rows; r++) {
        const at = r * cols;
        if (!anyLinear && rowLeavesOf(x, at, cols)) {
          for (let t = 0; t < numTrees; t++)
            out[r * perIteration + (t % perIteration)] += leafValue[leafBases[t] + rowLeaves[t]];
          continue;
        }
        for (let t = 0; t < numTrees; t++) {
          const k = t % perIteration;
          out[r * perIteration + k] += leafOutput(t, leafOf(t, x, at), x, at);
        }
      }
      return out;
    },
    convert(raw, rows) {
      const out = Float64Array.from(raw);
      // Random forests average their trees; LightGBM's raw_score output stays the plain sum.
      if (average) for (let i = 0; i < out.length; i++) out[i] /= iterations;
      const s = objective.sigmoid;
      switch (objective.transform) {
        case "sigmoid":
        case "ova":
          for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + libmExp(-s * out[i]));
          return out;
        case "xentropy":
          for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + libmExp(-out[i]));
          return out;
        case "xentlambda":
          for (let i = 0; i < out.length; i++) out[i] = Math.log1p(libmExp(out[i]));
          return out;
        case "exp":
          for (let i = 0; i < out.length; i++) out[i] = libmExp(out[i]);
          return out;
        case "sqrt":
          for (let i = 0; i < out.length; i++) out[i] = Math.sign(out[i]) * out[i] * out[i];
          return out;
        case "softmax": {
          const k = perIteration;
          for (let r = 0; r < rows; r++) {
            const o = r * k;
            let mx = out[o];
            for (let j = 1; j < k; j++) if (out[o + j] > mx) mx = out[o + j];
            let sum = 0;
            for (let j = 0; j < k; j++) {
              out[o + j] = libmExp(out[o + j] - mx);
              sum += out[o + j];
            }
            for (let j = 0; j < k; j++) out[o + j] /= sum;
          }
          return out;
        }
        default:
          return out;
      }
    },
  };
}
