/**
 * @module Classic gradient boosting (GradientBoostingClassifier/Regressor) and the dummy estimators
 * used as its `init_`: raw = init + Σ learning_rate · tree value, stage by stage in scikit-learn's
 * order, then the loss's link (expit, softmax, or identity). The init link and tie rules follow the
 * file's scikit-learn version (≤ 1.3: `_gb_losses`; ≥ 1.4: `sklearn._loss`).
 * Ref: sklearn `ensemble/_gb.py`, `_gb_losses.py` (≤ 1.3), `_loss/link.py`, `dummy.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { dense, expit, matrix, softmaxInPlace } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
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
import { rowLeavesOf } from "../trees/row-leaves.ts";
import { type CompiledTree, compileTree, float32Rows, hasNaN } from "../trees/tree.ts";
import { gbExplainer } from "./explain.ts";

const EPS32 = 2 ** -23;
const EPS64 = 2 ** -52;

/** `n_features_in_`, which a dummy fitted without X (scikit-learn < 1.0 init_) leaves as None. */
function featuresIn(o: PyObject): number | undefined {
  const v = attr(o, "n_features_in_");
  return v === undefined || v === null ? undefined : num(v, `${o.name}.n_features_in_`);
}

/** DummyClassifier: the class shares it learned (prior), the most frequent class, uniform, or a constant. */
export function dummyClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
  const strategy = str(attr(o, "_strategy")) ?? str(attr(o, "strategy")) ?? "prior";
  const prior = floats(need(o, "class_prior_"), `${o.name}.class_prior_`).data;
  const k = classes.length;
  let row: Float64Array;
  if (strategy === "prior") row = Float64Array.from(prior);
  else if (strategy === "most_frequent" || strategy === "constant") {
    let best = 0;
    if (strategy === "constant") {
      const c = attr(o, "constant");
      best = classes.findIndex(
        (x) => String(x) === String(isArray(c) ? (c.data as ArrayLike<unknown>)[0] : c),
      );
      if (best < 0) throw Errors.invalidModel(ctx.file, `${o.name}.constant is not one of classes_`);
    } else for (let i = 1; i < k; i++) if (prior[i] > prior[best]) best = i;
    row = new Float64Array(k);
    row[best] = 1;
  } else if (strategy === "uniform") row = new Float64Array(k).fill(1 / k);
  else throw Errors.unsupportedModel(ctx.file, `DummyClassifier(strategy="${strategy}") (random answers)`);
  const proba = (x: SkData): Matrix => {
    const n = x.rows;
    const out = new Float64Array(n * k);
    for (let r = 0; r < n; r++) out.set(row, r * k);
    return matrix(n, k, out);
  };
  let argmax = 0;
  for (let i = 1; i < k; i++) if (row[i] > row[argmax]) argmax = i;
  return {
    className: o.name,
    role: "classifier",
    nFeaturesIn: featuresIn(o),
    classes,
    allowsMissing: true,
    predictProba: proba,
    predict: (x) => new Array<Label>(x.rows).fill(classes[argmax]),
  };
}

/** DummyRegressor: the constant it learned (mean, median, quantile or given). */
export function dummyRegressor(o: PyObject): SkEstimator {
  const c = floats(need(o, "constant_"), `${o.name}.constant_`).data;
  if (c.length !== 1) throw new AttributeError(`${o.name} with ${c.length} outputs`);
  const value = c[0];
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: featuresIn(o),
    nOutputs: 1,
    allowsMissing: true,
    predict: (x) => ({ kind: "dense", rows: x.rows, cols: 1, data: new Float64Array(x.rows).fill(value) }),
  };
}

type Kind = "regression" | "binary-logit" | "binary-exponential" | "multinomial";

/** The boosting stages: `stages × k` regression trees. */
function stagesOf(o: PyObject, nFeatures: number): { trees: CompiledTree[]; k: number; stages: number } {
  const est = need(o, "estimators_");
  if (!isArray(est) || est.shape.length !== 2)
    throw new AttributeError(`${o.name}.estimators_ is not a 2-D array`);
  const [stages, k] = est.shape;
  const items = est.data as readonly PyValue[];
  const trees = items.map((t, i) => {
    if (!isObject(t)) throw new AttributeError(`${o.name}.estimators_[${i}] is not a tree`);
    const tree = need(t, "tree_");
    if (!isObject(tree) || tree.name !== "Tree")
      throw new AttributeError(`${o.name}.estimators_[${i}].tree_ is not a Tree`);
    return compileTree(tree, nFeatures);
  });
  return { trees, k, stages };
}

/** Builder of `GradientBoostingClassifier` and `GradientBoostingRegressor`. */
export function gradientBoosting(o: PyObject, ctx: BuildContext): SkEstimator {
  const classifier = o.name === "GradientBoostingClassifier";
  const modern = versionAtLeast(ctx.sklearnVersion, 1, 4);
  const nFeatures = num(attr(o, "n_features_in_") ?? need(o, "n_features_"), `${o.name}.n_features_in_`);
  const lr = num(need(o, "learning_rate"), `${o.name}.learning_rate`);
  const loss = str(attr(o, "loss")) ?? (classifier ? "log_loss" : "squared_error");
  const classes = classifier ? labels(need(o, "classes_"), `${o.name}.classes_`) : undefined;
  const { trees, k, stages } = stagesOf(o, nFeatures);
  let kind: Kind = "regression";
  if (classifier) {
    if (loss === "exponential") kind = "binary-exponential";
    else if (loss === "log_loss" || loss === "deviance") kind = k === 1 ? "binary-logit" : "multinomial";
    else throw Errors.unsupportedModel(ctx.file, `GradientBoostingClassifier(loss="${loss}")`);
    if ((k === 1) !== (classes!.length === 2))
      throw new AttributeError(`${o.name} has ${k} trees per stage for ${classes!.length} classes`);
  } else if (!["squared_error", "ls", "absolute_error", "lad", "huber", "quantile"].includes(loss)) {
    throw Errors.unsupportedModel(ctx.file, `GradientBoostingRegressor(loss="${loss}")`);
  }
  const initV = need(o, "init_");
  const init =
    initV === "zero" ? undefined : isObject(initV) ? ctx.build(initV, `${o.name}.init_`) : undefined;
  if (initV !== "zero" && init === undefined)
    throw new AttributeError(`${o.name}.init_ is neither "zero" nor an estimator`);
  if (init && classifier && !init.predictProba)
    throw Errors.unsupportedModel(
      ctx.file,
      `${init.className} as the init of a classifier (no predict_proba)`,
    );
  if (init && !classifier && !init.predict)
    throw Errors.unsupportedModel(ctx.file, `${init.className} as the init of a regressor (no predict)`);

  /** The init estimator's raw predictions, `rows × k`, by the version's link rules. */
  const initRaw = (x: SkData, rows: number): Float64Array => {
    const raw = new Float64Array(rows * k);
    if (!init) return raw;
    if (!classifier) {
      const p = init.predict!(x);
      const v = Array.isArray(p) ? Float64Array.from(p as number[]) : (p as DenseData).data;
      for (let r = 0; r < rows; r++) raw[r] = v[r];
      return raw;
    }
    const p = init.predictProba!(x);
    const eps = modern ? EPS64 : EPS32;
    const clip = (v: number) => Math.min(1 - eps, Math.max(eps, v));
    for (let r = 0; r < rows; r++) {
      if (k === 1) {
        const q = clip(p.data[r * p.cols + 1]);
        // logit: log(p / (1 - p)); the exponential loss uses half of it.
        const lg = Math.log(q / (1 - q));
        raw[r] = kind === "binary-exponential" ? 0.5 * lg : lg;
      } else if (modern) {
        // Symmetric multinomial logit: log(p_k / gmean(p)), gmean = exp(mean(log p)).
        let s = 0;
        for (let c = 0; c < k; c++) s += Math.log(clip(p.data[r * p.cols + c]));
        const gm = Math.exp(s / k);
        for (let c = 0; c < k; c++) raw[r * k + c] = Math.log(clip(p.data[r * p.cols + c]) / gm);
      } else {
        for (let c = 0; c < k; c++) raw[r * k + c] = Math.log(clip(p.data[r * p.cols + c]));
      }
    }
    return raw;
  };

  // A few rows (single-row requests): every tree eight at a time in lock step (row-leaves.ts).
  const rowLeaves = rowLeavesOf(o, "gb-packed", trees, nFeatures);

  /** `rows × k` raw predictions: init, then every stage's trees in order. */
  const rawPredict = (x: SkData): { raw: Float64Array; rows: number } => {
    const d = dense(x);
    const raw = initRaw(d, d.rows);
    if (d.rows < 8) {
      for (let r = 0; r < d.rows; r++) {
        const leaves = rowLeaves(d.data, r * d.cols, d.cols);
        // In stage order, as the batch path below adds them.
        for (let i = 0; i < trees.length; i++)
          raw[r * k + (i % k)] += lr * trees[i].values[leaves[i] * trees[i].width];
      }
      return { raw, rows: d.rows };
    }
    const x32 = float32Rows(d.data);
    const nan = hasNaN(x32);
    const leaves = new Int32Array(d.rows);
    for (let s = 0; s < stages; s++) {
      for (let c = 0; c < k; c++) {
        const t = trees[s * k + c];
        t.leaves(x32, d.rows, d.cols, leaves, nan);
        for (let r = 0; r < d.rows; r++) raw[r * k + c] += lr * t.values[leaves[r] * t.width];
      }
    }
    return { raw, rows: d.rows };
  };

  const proba = (x: SkData): Matrix => {
    const { raw, rows } = rawPredict(x);
    if (kind === "multinomial" && modern) {
      // softmax: exp(raw - max) / Σ.
      const out = raw.slice(0, rows * k);
      softmaxInPlace(out, rows, k);
      return matrix(rows, k, out);
    }
    if (kind === "multinomial") {
      // Before 1.4: exp(raw - logsumexp(raw)), logsumexp = log(Σ exp(raw - max)) + max.
      const out = new Float64Array(rows * k);
      for (let r = 0; r < rows; r++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < k; c++) max = Math.max(max, raw[r * k + c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(raw[r * k + c] - max);
        const lse = Math.log(sum) + max;
        for (let c = 0; c < k; c++) out[r * k + c] = Math.exp(raw[r * k + c] - lse);
      }
      return matrix(rows, k, out);
    }
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const p1 = expit(kind === "binary-exponential" ? 2 * raw[r] : raw[r]);
      out[r * 2 + 1] = p1;
      out[r * 2] = 1 - p1;
    }
    return matrix(rows, 2, out);
  };

  const base = {
    className: o.name,
    explain: gbExplainer(trees, k, lr, nFeatures, init, initRaw, classes),
    nFeaturesIn: nFeatures,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    allowsMissing: trees.every((t) => t.hasMissing) && modern && (init?.allowsMissing ?? true),
  };
  if (!classifier) {
    return {
      ...base,
      role: "regressor",
      nOutputs: 1,
      predict: (x) => {
        const { raw, rows } = rawPredict(x);
        return { kind: "dense", rows, cols: 1, data: raw };
      },
    };
  }
  const cls = classes!;
  return {
    ...base,
    role: "classifier",
    classes: cls,
    predictProba: proba,
    decisionFunction: (x) => {
      const { raw, rows } = rawPredict(x);
      return matrix(rows, k, raw);
    },
    predict: (x) => {
      if (kind === "multinomial") {
        const { raw, rows } = rawPredict(x);
        return Array.from({ length: rows }, (_, r) => {
          let best = 0;
          for (let c = 1; c < k; c++) if (raw[r * k + c] > raw[r * k + best]) best = c;
          return cls[best];
        });
      }
      if (modern || kind === "binary-exponential") {
        // ≥ 1.4 (and the exponential loss before): raw ≥ 0 → the second class.
        const { raw, rows } = rawPredict(x);
        return Array.from({ length: rows }, (_, r) => cls[raw[r] >= 0 ? 1 : 0]);
      }
      // ≤ 1.3: argmax of [1 - p, p], the first class on a tie.
      const p = proba(x);
      return Array.from({ length: p.rows }, (_, r) => cls[p.data[r * 2 + 1] > p.data[r * 2] ? 1 : 0]);
    },
  };
}
