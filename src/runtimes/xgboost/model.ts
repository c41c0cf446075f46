/**
 * @module An XGBoost booster compiled from its saved model (JSON or UBJSON) into flat typed arrays,
 * and its prediction with XGBoost's float32 semantics: inputs rounded to float32, strict `<` splits,
 * `default_left` for missing values, categorical partitions, float32 accumulation in tree order.
 * Ref: XGBoost `json_model_io`, `predictor/cpu_predictor.cc`, `objective/regression_loss.h`.
 * Long because compilation and both evaluation paths (lock-step batches, single rows) share the
 * packed layout's private invariants; they are kept side by side so that a change to one is seen in all.
 */

import { walkAdd, walksAdding } from "../common/add-walk.ts";
import { callRace } from "../common/call-race.ts";
import {
  float32Below,
  type LockstepTree,
  lockstepTree,
  treesByDepth,
  UNKNOWN_HEIGHT,
  walkLockstep,
  walkLockstepNaN,
  walkTreesOfRow,
} from "../common/lockstep-walk.ts";
import {
  boundedCount,
  checkNodeTotal,
  InconsistencyError,
  indicesWithin,
  MAX_MODEL_FEATURES,
  relativeCap,
} from "../common/model-bounds.ts";
import { addShallowTree, SHALLOW_MAX } from "../common/shallow-trees.ts";
import { categoryBits, walkCategorical } from "./categorical-walk.ts";
import { compiledMargins, compileSums } from "./compiled-sums.ts";
import { expf } from "./expf.ts";
import { linearMargins } from "./gblinear.ts";
import { numpyExpf } from "./numpy-expf.ts";
import type { XgbExplainInput } from "./shap-trees.ts";
import { compileWasmSums } from "./wasm-sums.ts";

const f32 = Math.fround;
/** XGBoost's `kMaxExp`-style clamp used by the logistic transform. */
const MAX_EXP = f32(88.7);

/** Why a model cannot be compiled; the runtime turns it into a ModelServeError. */
export class BoosterError extends Error {
  /** True when the model is valid but uses something not implemented. */
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.unsupported = unsupported;
  }
}

type Json = unknown;
type Obj = { readonly [key: string]: Json };

function obj(v: Json, what: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new BoosterError(`${what} is missing or not an object`);
  }
  return v as Obj;
}

/** A numeric array from JSON (`null` read as NaN) or UBJSON (typed arrays). */
function nums(v: Json, what: string): ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  if (!Array.isArray(v)) throw new BoosterError(`${what} is missing or not an array`);
  return v.map((x) => (x === null ? Number.NaN : typeof x === "number" ? x : Number(x)));
}

function int(v: Json, what: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 0)
    throw new BoosterError(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/** `base_score`: a number string ("5E-1") or, from 3.1, an array string ("[6.2E-1,…]"). */
function parseBaseScore(v: Json): number[] {
  if (typeof v === "number") return [v];
  if (typeof v !== "string") throw new BoosterError(`base_score ${JSON.stringify(v)} is not a number`);
  const s = v.trim();
  const parts = s.startsWith("[") ? s.slice(1, -1).split(",") : [s];
  const out = parts.map((p) => Number(p.trim()));
  if (out.length === 0 || out.some((x) => Number.isNaN(x)))
    throw new BoosterError(`base_score "${v}" is not a number`);
  return out;
}

/** Objectives and how each maps scores. */
const OBJECTIVES: Readonly<
  Record<string, { readonly link: "logit" | "log" | "identity"; readonly kind: Kind }>
> = {
  "binary:logistic": { link: "logit", kind: "binary-prob" },
  "binary:logitraw": { link: "identity", kind: "binary-raw" },
  "binary:hinge": { link: "identity", kind: "binary-hinge" },
  "reg:logistic": { link: "logit", kind: "sigmoid" },
  "multi:softprob": { link: "identity", kind: "softprob" },
  "multi:softmax": { link: "identity", kind: "softmax" },
  "reg:squarederror": { link: "identity", kind: "identity" },
  "reg:linear": { link: "identity", kind: "identity" },
  "reg:squaredlogerror": { link: "identity", kind: "identity" },
  "reg:absoluteerror": { link: "identity", kind: "identity" },
  "reg:pseudohubererror": { link: "identity", kind: "identity" },
  "reg:quantileerror": { link: "identity", kind: "identity" },
  "count:poisson": { link: "log", kind: "exp" },
  "reg:gamma": { link: "log", kind: "exp" },
  "reg:tweedie": { link: "log", kind: "exp" },
  "survival:cox": { link: "log", kind: "exp" },
  // Accelerated failure time: the prediction is exp(margin), the base score a log link.
  "survival:aft": { link: "log", kind: "exp" },
  "rank:pairwise": { link: "identity", kind: "identity" },
  "rank:ndcg": { link: "identity", kind: "identity" },
  "rank:map": { link: "identity", kind: "identity" },
};

type Kind =
  | "binary-prob"
  | "binary-raw"
  | "binary-hinge"
  | "sigmoid"
  | "softprob"
  | "softmax"
  | "identity"
  | "exp";

/** What the compiled booster predicts. */
export interface BoosterShape {
  readonly objective: string;
  readonly kind: Kind;
  /** Output groups (classes for multiclass, targets for multi-target, else 1). */
  readonly groups: number;
  readonly numFeature: number;
  readonly featureNames: readonly string[];
  readonly featureTypes: readonly string[];
  /** Category names of categorical features (3.1+ recoding), by feature index. */
  readonly categoryNames: readonly (readonly string[] | undefined)[];
  readonly numTrees: number;
  /** Numeric split conditions per feature (where the model draws its lines; for doc examples). */
  readonly splitThresholds: readonly (readonly number[])[];
  readonly booster: string;
  readonly version: string;
}

/** The flat arrays of a tree booster, every node of every tree at a global offset. */
interface TreeArrays {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly cond: Float64Array;
  readonly defaultLeft: Uint8Array;
  /** Index into `catSets` for categorical split nodes, else -1. */
  readonly catIndex: Int32Array;
  /** The categories that go right at each categorical split. */
  readonly catSets: readonly (readonly number[])[];
  /** Index into `leafVectors` of a vector leaf, else -1. */
  readonly leafVec: Int32Array;
  readonly leafVectors: Float64Array;
  readonly roots: Int32Array;
  readonly group: Int32Array;
  /** Each scalar leaf's contribution, tree weight applied, in float32 (and as a Float32Array). */
  readonly contrib: Float64Array;
  readonly contrib32: Float32Array;
  readonly lockstep: LockstepTree;
  readonly baseMargin: Float64Array;
}

/**
 * A booster laid out and checked, before its prediction functions exist: plain values and typed arrays
 * only, so that a loader worker can build it off the event loop and hand it over.
 */
export interface BoosterLayout extends BoosterShape {
  readonly explainInput?: XgbExplainInput;
  /** A gblinear booster's weights and base margins. */
  readonly linear?: { readonly weights: ArrayLike<number>; readonly baseMargin: Float64Array };
  readonly trees?: TreeArrays;
}

/** A compiled booster. */
export interface Booster extends BoosterShape {
  /** Margins (base score included, before the objective's transform), rows × groups, float32 values. */
  margins(x: Float64Array, rows: number, cols: number): Float64Array;
  /** The objective's transform of margins, in place, float32 semantics. */
  transform(m: Float64Array, rows: number): Float64Array;
  /** The parsed trees and constants TreeSHAP explanations are built from (none for gblinear). */
  readonly explainInput?: XgbExplainInput;
}

function decodeCategoryNames(cats: Json, numFeature: number): (string[] | undefined)[] {
  const out: (string[] | undefined)[] = new Array(numFeature).fill(undefined);
  if (typeof cats !== "object" || cats === null) return out;
  const enc = (cats as Obj).enc;
  if (!Array.isArray(enc)) return out;
  enc.forEach((e, f) => {
    if (f >= numFeature || typeof e !== "object" || e === null) return;
    const offsets = nums((e as Obj).offsets, "cats.offsets");
    const values = nums((e as Obj).values, "cats.values");
    if (offsets.length < 2) return;
    const names: string[] = [];
    for (let i = 0; i + 1 < offsets.length; i++) {
      let s = "";
      for (let k = offsets[i]; k < offsets[i + 1]; k++) s += String.fromCharCode(values[k]);
      names.push(s);
    }
    out[f] = names;
  });
  return out;
}

/**
 * Lays out and checks a parsed XGBoost model (the object `save_model` writes, or a pickle's `Model`):
 * the costly part of compiling, with every structural check; {@link bindBooster} finishes it.
 */
export function layoutBooster(model: Json, fileBytes = Number.POSITIVE_INFINITY): BoosterLayout {
  const root = obj(model, "the model");
  const learner = obj(root.learner, "learner");
  const version = Array.isArray(root.version)
    ? root.version.join(".")
    : ArrayBuffer.isView(root.version)
      ? Array.from(root.version as Int32Array).join(".")
      : "unknown";
  const lmp = obj(learner.learner_model_param, "learner.learner_model_param");
  const objective = String(obj(learner.objective, "learner.objective").name ?? "");
  const spec = OBJECTIVES[objective];
  if (!spec) throw new BoosterError(`objective "${objective}"`, true);
  const numClass = int(lmp.num_class, "num_class", 0);
  const numTarget = int(lmp.num_target, "num_target", 1);
  const numFeature = int(lmp.num_feature, "num_feature");
  // Declared counts size arrays and the request schema: bounded by what the file can hold.
  boundedCount(numFeature, "learner_model_param.num_feature", relativeCap(fileBytes, MAX_MODEL_FEATURES));
  boundedCount(numClass, "learner_model_param.num_class", relativeCap(fileBytes, 1 << 20));
  boundedCount(numTarget, "learner_model_param.num_target", relativeCap(fileBytes, 1 << 20));
  const groups = Math.max(numClass, numTarget, 1);
  const base = parseBaseScore(lmp.base_score ?? "0.5");
  if (base.length !== 1 && base.length !== groups) {
    throw new BoosterError(`base_score has ${base.length} values for ${groups} outputs`);
  }
  // ProbToMargin, in float32 as XGBoost computes it.
  const baseMargin = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const bs = f32(base.length === 1 ? base[0] : base[g]);
    if (spec.link === "logit") {
      const eps = f32(1e-16);
      const p = Math.min(Math.max(bs, eps), f32(1 - eps));
      baseMargin[g] = f32(-f32(Math.log(f32(f32(1 / p) - 1))));
    } else if (spec.link === "log") {
      baseMargin[g] = f32(Math.log(bs));
    } else {
      baseMargin[g] = bs;
    }
  }

  const gb = obj(learner.gradient_booster, "learner.gradient_booster");
  const boosterName = String(gb.name ?? "");
  let treeModel: Obj;
  let weightDrop: ArrayLike<number> | undefined;
  if (boosterName === "gbtree") {
    treeModel = obj(gb.model, "gradient_booster.model");
    if (treeModel.weight_drop !== undefined) weightDrop = nums(treeModel.weight_drop, "weight_drop");
  } else if (boosterName === "dart") {
    treeModel = obj(obj(gb.gbtree, "gradient_booster.gbtree").model, "gradient_booster.gbtree.model");
    weightDrop = nums(gb.weight_drop, "weight_drop");
  } else if (boosterName === "gblinear") {
    const weights = nums(obj(gb.model, "gradient_booster.model").weights, "gblinear weights");
    try {
      linearMargins(weights, numFeature, groups, baseMargin);
    } catch (err) {
      throw new BoosterError((err as Error).message);
    }
    return {
      objective,
      kind: spec.kind,
      groups,
      numFeature,
      featureNames: Array.isArray(learner.feature_names)
        ? (learner.feature_names as string[]).map(String)
        : [],
      featureTypes: Array.isArray(learner.feature_types)
        ? (learner.feature_types as string[]).map(String)
        : [],
      categoryNames: new Array(numFeature).fill(undefined),
      numTrees: 0,
      // A linear model has no split thresholds to take typical values from.
      splitThresholds: Array.from({ length: numFeature }, () => []),
      booster: "gblinear",
      version,
      linear: { weights, baseMargin },
    };
  } else {
    throw new BoosterError(`booster "${boosterName}"`, true);
  }
  const trees = treeModel.trees;
  if (!Array.isArray(trees)) throw new BoosterError("gradient_booster.model.trees is missing");
  const treeInfo = nums(treeModel.tree_info ?? [], "tree_info");
  if (treeInfo.length !== trees.length)
    throw new BoosterError(`tree_info has ${treeInfo.length} entries for ${trees.length} trees`);
  if (weightDrop && weightDrop.length !== trees.length && weightDrop.length !== 0) {
    throw new BoosterError(`weight_drop has ${weightDrop.length} entries for ${trees.length} trees`);
  }

  // Flatten every tree into shared arrays; node ids become global offsets.
  let total = 0;
  const parsed = trees.map((t, i) => {
    const tree = obj(t, `tree ${i}`);
    const left = nums(tree.left_children, `tree ${i} left_children`);
    const n = left.length;
    const leafSize =
      int(obj(tree.tree_param ?? {}, "tree_param").size_leaf_vector, "size_leaf_vector", 1) || 1;
    const arrays = {
      left,
      right: nums(tree.right_children, `tree ${i} right_children`),
      feature: nums(tree.split_indices, `tree ${i} split_indices`),
      cond: nums(tree.split_conditions, `tree ${i} split_conditions`),
      defaultLeft: nums(tree.default_left, `tree ${i} default_left`),
      splitType:
        tree.split_type === undefined ? new Uint8Array(n) : nums(tree.split_type, `tree ${i} split_type`),
      baseWeights: leafSize > 1 ? nums(tree.base_weights, `tree ${i} base_weights`) : undefined,
      catNodes: nums(tree.categories_nodes ?? [], "categories_nodes"),
      catSegments: nums(tree.categories_segments ?? [], "categories_segments"),
      catSizes: nums(tree.categories_sizes ?? [], "categories_sizes"),
      cats: nums(tree.categories ?? [], "categories"),
      leafSize,
    };
    for (const [k, a] of Object.entries(arrays)) {
      if (
        a &&
        typeof a === "object" &&
        "length" in a &&
        ["right", "feature", "cond", "defaultLeft", "splitType"].includes(k)
      ) {
        if ((a as ArrayLike<number>).length !== n)
          throw new BoosterError(
            `tree ${i}: ${k} has ${(a as ArrayLike<number>).length} entries for ${n} nodes`,
          );
      }
    }
    if (leafSize > 1 && leafSize !== groups)
      throw new BoosterError(`tree ${i}: leaf vectors of ${leafSize} for ${groups} outputs`);
    if (arrays.baseWeights && arrays.baseWeights.length < n * leafSize)
      throw new InconsistencyError(
        `tree ${i}: base_weights should hold ${n * leafSize} values (nodes × leaf size), found ${arrays.baseWeights.length}`,
      );
    if (
      arrays.catSegments.length !== arrays.catNodes.length ||
      arrays.catSizes.length !== arrays.catNodes.length
    )
      throw new InconsistencyError(
        `tree ${i}: categories_segments and categories_sizes should match categories_nodes`,
      );
    indicesWithin(arrays.catNodes, n, `tree ${i} categories_nodes`);
    for (let k = 0; k < arrays.catNodes.length; k++) {
      const start = arrays.catSegments[k];
      const size = arrays.catSizes[k];
      if (
        !(
          Number.isInteger(start) &&
          Number.isInteger(size) &&
          start >= 0 &&
          size >= 0 &&
          start + size <= arrays.cats.length
        )
      )
        throw new InconsistencyError(
          `tree ${i}: category segment ${k} should lie within the ${arrays.cats.length} categories, found ${start}+${size}`,
        );
    }
    const offset = total;
    total += n;
    checkNodeTotal(total, "the booster's trees");
    return { ...arrays, n, offset };
  });
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const feature = new Int32Array(total);
  const cond = new Float64Array(total);
  const defaultLeft = new Uint8Array(total);
  /** Index into `catSets` for categorical split nodes, else -1. */
  const catIndex = new Int32Array(total).fill(-1);
  const catSets: number[][] = [];
  const leafVec = new Int32Array(total).fill(-1);
  const vectors: number[] = [];
  const roots = new Int32Array(trees.length);
  const group = new Int32Array(trees.length);
  const weights = new Float64Array(trees.length).fill(1);
  const hasWeights = weightDrop !== undefined && weightDrop.length === trees.length;
  // Boosters saved as "dart" (XGBoost < 3) predict each tree on top of the base margin, then weight
  // the difference; 3.x saves dart as gbtree with weights and weights the leaf directly. The float32
  // results differ, so each file is summed the way its own version did.
  const dartLegacy = boosterName === "dart";
  parsed.forEach((t, i) => {
    roots[i] = t.offset;
    group[i] = treeInfo[i];
    if (group[i] < 0 || group[i] >= groups)
      throw new BoosterError(`tree ${i} belongs to output ${group[i]} of ${groups}`);
    if (hasWeights) weights[i] = f32(weightDrop![i]);
    const catPos = new Map<number, number>();
    for (let k = 0; k < t.catNodes.length; k++) catPos.set(t.catNodes[k], k);
    for (let j = 0; j < t.n; j++) {
      const g = t.offset + j;
      const l = t.left[j];
      if (l === -1) {
        left[g] = -1;
        cond[g] = f32(t.cond[j]);
        if (t.baseWeights) {
          leafVec[g] = vectors.length;
          for (let k = 0; k < t.leafSize; k++) vectors.push(f32(t.baseWeights[j * t.leafSize + k]));
        }
        continue;
      }
      const r = t.right[j];
      if (l < 0 || l >= t.n || r < 0 || r >= t.n)
        throw new BoosterError(`tree ${i} node ${j} has children outside the tree`);
      left[g] = t.offset + l;
      right[g] = t.offset + r;
      feature[g] = t.feature[j];
      if (feature[g] < 0 || feature[g] >= numFeature)
        throw new BoosterError(`tree ${i} node ${j} splits on feature ${feature[g]} of ${numFeature}`);
      cond[g] = f32(t.cond[j]);
      defaultLeft[g] = t.defaultLeft[j] ? 1 : 0;
      if (t.splitType[j] === 1) {
        const k = catPos.get(j);
        if (k === undefined)
          throw new BoosterError(`tree ${i} node ${j} is categorical but has no categories`);
        const start = t.catSegments[k];
        const set: number[] = [];
        for (let c = 0; c < t.catSizes[k]; c++) set.push(t.cats[start + c]);
        catIndex[g] = catSets.length;
        catSets.push(set);
      }
    }
  });
  const leafVectors = Float64Array.from(vectors);
  const featureNames = Array.isArray(learner.feature_names)
    ? (learner.feature_names as string[]).map(String)
    : [];
  const featureTypes = Array.isArray(learner.feature_types)
    ? (learner.feature_types as string[]).map(String)
    : [];
  const numTrees = trees.length;

  // Every tree must be a tree: each node reached once from its root. Checked here, so traversal
  // needs no cycle guard.
  const seenNode = new Uint8Array(total);
  for (let t = 0; t < numTrees; t++) {
    const stack = [roots[t]];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seenNode[n])
        throw new BoosterError(`tree ${t} is not a tree (node ${n - roots[t]} is reached twice)`);
      seenNode[n] = 1;
      if (left[n] !== -1) stack.push(left[n], right[n]);
    }
  }
  // The lock-step batch walk (below) takes the trees of numeric splits with scalar leaves; a categorical
  // node's threshold here is never read. XGBoost sends `x < cond` left; over float32 inputs that is `x <= float32Below(cond)`.
  const lockstep = lockstepTree(
    left,
    right,
    feature,
    Float64Array.from(cond, (c, n) => (left[n] === -1 ? 0 : float32Below(c))),
    defaultLeft,
  );

  // Each scalar leaf's contribution with its tree weight already applied (dart), in float32.
  const contrib = new Float64Array(total);
  for (let t = 0; t < numTrees; t++) {
    const g = group[t];
    const end = t + 1 < numTrees ? roots[t + 1] : total;
    for (let n = roots[t]; n < end; n++) {
      if (left[n] !== -1) continue;
      let w = cond[n];
      if (dartLegacy) w = f32(f32(f32(baseMargin[g] + w) - baseMargin[g]) * weights[t]);
      else if (hasWeights) w = f32(w * weights[t]);
      contrib[n] = w;
    }
  }

  const splitThresholds: number[][] = Array.from({ length: numFeature }, () => []);
  for (let n = 0; n < total; n++)
    if (left[n] !== -1 && catIndex[n] < 0) splitThresholds[feature[n]]?.push(cond[n]);

  return {
    splitThresholds,
    objective,
    kind: spec.kind,
    groups,
    numFeature,
    featureNames,
    featureTypes,
    categoryNames: decodeCategoryNames(treeModel.cats, numFeature),
    numTrees,
    booster: boosterName === "gbtree" && hasWeights ? "dart" : boosterName,
    version,
    explainInput: {
      trees,
      treeInfo,
      weights: hasWeights ? weightDrop : undefined,
      baseMargin,
      numFeature,
      groups,
    },
    trees: {
      left,
      right,
      feature,
      cond,
      defaultLeft,
      catIndex,
      catSets,
      leafVec,
      leafVectors,
      roots,
      group,
      contrib,
      contrib32: Float32Array.from(contrib),
      lockstep,
      baseMargin,
    },
  };
}

/** How {@link bindBooster} sums a booster's trees. */
export interface BindOptions {
  /**
   * `race` (the default): calls of under 8 rows, of 8 to 63 and of 64 or more each through whichever of
   * the compiled trees and the walks their first calls time faster (`call-race.ts`); `compiled` or
   * `walked`: always that way (tests). Boosters the compiler declines always walk.
   */
  readonly trees?: "race" | "compiled" | "walked";
}

/** Binds a laid-out booster's prediction functions (cheap: closures over its arrays). */
export function bindBooster(layout: BoosterLayout, options: BindOptions = {}): Booster {
  const { trees: arrays, linear, explainInput, ...shape } = layout;
  const { numFeature, groups, numTrees } = shape;
  const transform = transformFor(shape.kind, groups);
  if (linear) {
    const margins = linearMargins(linear.weights, numFeature, groups, linear.baseMargin);
    return {
      ...shape,
      margins(x, rows, cols) {
        try {
          return margins(x, rows, cols);
        } catch (err) {
          throw new BoosterError((err as Error).message);
        }
      },
      transform,
    };
  }
  if (!arrays) throw new BoosterError("the booster has neither trees nor linear weights");
  const { left, right, feature, cond, defaultLeft, catIndex, leafVec, leafVectors, roots, group } = arrays;
  const { contrib, contrib32, lockstep, baseMargin } = arrays;
  const catSets = arrays.catSets.map((c) => new Set(c));
  // Trees with a categorical split take a walk of their own (categorical-walk.ts); the others the
  // lock-step walk. One categorical split used to send the whole model to the row walk (0.66× XGBoost's
  // inplace_predict with 17 of 100 trees categorical).
  const catTree = new Uint8Array(numTrees);
  for (let t = 0; t < numTrees; t++) {
    const end = t + 1 < numTrees ? roots[t + 1] : left.length;
    for (let n = roots[t]; n < end; n++)
      if (catIndex[n] >= 0) {
        catTree[t] = 1;
        break;
      }
  }
  const scalarLeaves = leafVectors.length === 0;
  // Single rows: the numeric trees of recorded depth walk eight at a time in lock step
  // (walkTreesOfRow), shallowest first; trees with a categorical split one at a time (leafOf).
  const rowSteps = new Uint8Array(numTrees);
  for (let t = 0; t < numTrees; t++)
    rowSteps[t] = catTree[t] === 0 ? lockstep.height[roots[t]] : UNKNOWN_HEIGHT;
  const { order: rowOrder, walked: rowWalked } = treesByDepth(rowSteps);
  const rowLeaves = new Int32Array(numTrees);
  // Those trees walk eight rows at a time too, with their categories as bits (unless a set holds
  // something other than category codes: then the row walk below).
  const bits = arrays.catSets.length > 0 ? categoryBits(catIndex, arrays.catSets) : undefined;
  /** {@link leafOf} over a batch's float32 values: its own function, so each stays monomorphic. */
  const leafOf32 = (root: number, x: Float32Array, at: number): number => {
    let n = root;
    while (left[n] !== -1) {
      const v = x[at + feature[n]];
      if (Number.isNaN(v)) n = defaultLeft[n] ? left[n] : right[n];
      else if (catIndex[n] >= 0) n = catSets[catIndex[n]].has(Math.trunc(v)) ? right[n] : left[n];
      else n = v < cond[n] ? left[n] : right[n];
    }
    return n;
  };
  /** The leaf one row reaches in one tree (a small function V8 inlines well). */
  const leafOf = (root: number, x: Float64Array, at: number): number => {
    let n = root;
    while (left[n] !== -1) {
      const v = x[at + feature[n]];
      if (Number.isNaN(v)) n = defaultLeft[n] ? left[n] : right[n];
      else if (catIndex[n] >= 0) n = catSets[catIndex[n]].has(Math.trunc(v)) ? right[n] : left[n];
      else n = v < cond[n] ? left[n] : right[n];
    }
    return n;
  };

  // Trees compiled to WebAssembly (wasm-sums.ts), or to JavaScript where WebAssembly is unavailable
  // (compiled-sums.ts), for the calls of each size where they win the race.
  const mode = options.trees ?? "race";
  const compiling = mode !== "walked" && scalarLeaves;
  const numeric = !catTree.includes(1);
  const wasm =
    compiling && (numeric || bits !== undefined)
      ? compileWasmSums(arrays, numFeature, groups, baseMargin, bits)
      : undefined;
  // The JavaScript compiles numeric splits only.
  const chunks =
    compiling && numeric && wasm === undefined ? compileSums(arrays, numFeature, groups) : undefined;
  const compiled: ((x: Float64Array, rows: number, cols: number) => Float64Array) | undefined =
    wasm ??
    (chunks === undefined
      ? undefined
      : (x, rows, cols) => compiledMargins(chunks, baseMargin, x, rows, cols, groups));
  // One race per size class (single rows, small batches, large ones): the winner can differ with the
  // call's size (a breast-cancer booster, in process: compiled single rows took 0.6–0.7× the walks'
  // time, 1000-row batches 1.7×).
  const races = [callRace(), callRace(), callRace()];

  /** The walks' margins (every booster of trees). */
  const walked = (x: Float64Array, rows: number, cols: number): Float64Array => {
    const out = new Float64Array(rows * groups);
    // Tree by tree up to the last multiple of eight rows (the lock-step walk takes eight rows at a
    // time; the rest would walk every tree alone, one dependent chain per step), the rest row by row
    // (eight trees at a time). The same float32 sums in the same order either way.
    const byTree = scalarLeaves && rows >= 8 ? rows - (rows % 8) : 0;
    if (byTree > 0) {
      // float32 values read back exactly from a Float32Array, at half the memory traffic; cast in the
      // same pass that looks for a missing value (the typed-array constructor's cast is slower).
      const x32 = new Float32Array(byTree * cols);
      let nan = false;
      for (let i = 0; i < x32.length; i++) {
        const v = x[i];
        x32[i] = v;
        if (Number.isNaN(v)) nan = true;
      }
      // A batch with a missing value walks with each node's default direction (a slower step).
      const walk = nan ? walkLockstepNaN : walkLockstep;
      // Tree by tree over the batch: each row still adds its trees' leaves in the model's order.
      // Sums kept in a Float32Array: each store rounds to float32, exactly as f32(a + b) does for
      // float32 a and b (a double holds their sum before the single rounding).
      const acc = new Float32Array(byTree * groups);
      for (let r = 0; r < byTree; r++) for (let g = 0; g < groups; g++) acc[r * groups + g] = baseMargin[g];
      const leaves = new Int32Array(byTree);
      // Blocks of rows small enough to stay in cache while every tree walks them.
      const block = Math.max(8, Math.floor(4096 / cols) & ~7);
      for (let b = 0; b < byTree; b += block) {
        const end = Math.min(byTree, b + block);
        for (let t = 0; t < numTrees; t++) {
          // Trees of up to three levels add their leaves row by row in one pass (shallow-trees.ts).
          if (!nan && catTree[t] === 0 && lockstep.height[roots[t]] <= SHALLOW_MAX) {
            addShallowTree(lockstep, contrib32, roots[t], x32, b, end, cols, acc, groups, group[t]);
            continue;
          }
          // The other numeric trees walk eight rows at a time, adding their leaves as they go.
          if (!nan && catTree[t] === 0 && walksAdding(lockstep, roots[t])) {
            walkAdd(lockstep, roots[t], x32, b, end, cols, contrib32, acc, groups, group[t]);
            continue;
          }
          if (catTree[t] === 0) walk(lockstep, roots[t], x32, b, end, cols, leaves);
          else if (bits) walkCategorical(lockstep, bits, roots[t], x32, b, end, cols, leaves);
          else for (let r = b; r < end; r++) leaves[r] = leafOf32(roots[t], x32, r * cols);
          const g = group[t];
          if (groups === 1) for (let r = b; r < end; r++) acc[r] += contrib32[leaves[r]];
          else for (let r = b; r < end; r++) acc[r * groups + g] += contrib32[leaves[r]];
        }
      }
      out.set(acc);
      if (byTree === rows) return out;
    }
    // The rows left (all of them, or those after the tree-by-tree part), cast to float32 values.
    const first = byTree * cols;
    const xf = new Float64Array(x.length - first);
    for (let i = 0; i < xf.length; i++) xf[i] = f32(x[first + i]);
    // Row by row: a row's features stay in cache while every tree reads them, and the float32 sums
    // follow the model's tree order.
    for (let r = byTree; r < rows; r++) {
      const at = (r - byTree) * cols;
      const o = r * groups;
      for (let g = 0; g < groups; g++) out[o + g] = baseMargin[g];
      let nan = false;
      for (let c = at; c < at + cols; c++) if (Number.isNaN(xf[c])) nan = true;
      if (scalarLeaves && !nan) {
        // Leaves first, in lock step; then added in the model's tree order, as below.
        walkTreesOfRow(lockstep, roots, rowSteps, rowOrder, rowWalked, xf, at, rowLeaves);
        for (let i = rowWalked; i < numTrees; i++)
          rowLeaves[rowOrder[i]] = leafOf(roots[rowOrder[i]], xf, at);
        for (let t = 0; t < numTrees; t++) {
          const og = o + group[t];
          out[og] = f32(out[og] + contrib[rowLeaves[t]]);
        }
        continue;
      }
      for (let t = 0; t < numTrees; t++) {
        const n = leafOf(roots[t], xf, at);
        const lv = leafVec[n];
        if (lv >= 0) {
          for (let k = 0; k < groups; k++) out[o + k] = f32(out[o + k] + leafVectors[lv + k]);
        } else {
          const og = o + group[t];
          out[og] = f32(out[og] + contrib[n]);
        }
      }
    }
    return out;
  };

  return {
    ...shape,
    ...(explainInput ? { explainInput } : {}),
    margins(x, rows, cols) {
      if (cols !== numFeature) throw new BoosterError(`rows have ${cols} features, the model ${numFeature}`);
      if (compiled === undefined) return walked(x, rows, cols);
      if (mode === "compiled") return compiled(x, rows, cols);
      const race = races[rows < 8 ? 0 : rows < 64 ? 1 : 2];
      // Decided: a direct call, without the race's two closures per call.
      const choice = race.settled();
      if (choice === "second") return compiled(x, rows, cols);
      if (choice === "first") return walked(x, rows, cols);
      return race.run(
        rows,
        () => walked(x, rows, cols),
        () => compiled(x, rows, cols),
      );
    },
    transform,
  };
}

/** The objective's transform of margins (in place where the shape is kept), float32 semantics. */
function transformFor(kind: Kind, groups: number): (m: Float64Array, rows: number) => Float64Array {
  return (m, rows) => {
    switch (kind) {
      case "binary-prob":
      case "sigmoid":
        for (let i = 0; i < m.length; i++) m[i] = f32(1 / f32(1 + expf(Math.min(-m[i], MAX_EXP))));
        return m;
      case "exp":
        for (let i = 0; i < m.length; i++) m[i] = expf(m[i]);
        return m;
      case "binary-hinge":
        for (let i = 0; i < m.length; i++) m[i] = m[i] > 0 ? 1 : 0;
        return m;
      case "softprob":
        softmaxRows(m, rows, groups);
        return m;
      case "softmax": {
        const out = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          let best = 0;
          for (let g = 1; g < groups; g++) if (m[r * groups + g] > m[r * groups + best]) best = g;
          out[r] = best;
        }
        return out;
      }
      default:
        return m;
    }
  };
}

/** XGBoost's softmax: float32 exponentials of (m − max), summed in double, divided in float32. */
function softmaxRows(m: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let mx = m[o];
    for (let g = 1; g < k; g++) if (m[o + g] > mx) mx = m[o + g];
    let sum = 0;
    for (let g = 0; g < k; g++) {
      const e = expf(f32(m[o + g] - mx));
      m[o + g] = e;
      sum += e;
    }
    const s = f32(sum);
    for (let g = 0; g < k; g++) m[o + g] = f32(m[o + g] / s);
  }
}

/** numpy's float32 `sum` of `n` contiguous values: sequential below 8, else its 8-way pairwise blocks. */
function pairwiseSumF32(a: Float64Array, off: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s = f32(s + a[off + i]);
    return s;
  }
  if (n <= 128) {
    const r = [a[off], a[off + 1], a[off + 2], a[off + 3], a[off + 4], a[off + 5], a[off + 6], a[off + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[off + i + j]);
    let s = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
    for (; i < n; i++) s = f32(s + a[off + i]);
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, off, n2) + pairwiseSumF32(a, off + n2, n - n2));
}

/**
 * `scipy.special.softmax` over float32 margins, as XGBClassifier.predict_proba computes a `multi:softmax`
 * model's probabilities in Python: numpy's float32 exponentials of (m − max), a float32 numpy sum, float32
 * division.
 */
export function softmaxRowsF32(m: Float64Array, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let mx = m[o];
    for (let g = 1; g < k; g++) if (m[o + g] > mx) mx = m[o + g];
    for (let g = 0; g < k; g++) m[o + g] = numpyExpf(f32(m[o + g] - mx));
    const s = pairwiseSumF32(m, o, k);
    for (let g = 0; g < k; g++) m[o + g] = f32(m[o + g] / s);
  }
}
