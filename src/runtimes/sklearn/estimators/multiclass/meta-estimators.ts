/**
 * @module Builders of the multiclass and multi-output meta-estimators: OneVsRestClassifier, OneVsOneClassifier,
 * MultiOutputClassifier/Regressor and ClassifierChain/RegressorChain, over any rebuilt members. They follow
 * scikit-learn's arithmetic: a member's binary score is its `decision_function` when it has one, else its
 * positive-class probability (`_predict_binary`); one-vs-rest takes the last maximum (`argmaxima[maxima ==
 * pred] = i`) and normalises probabilities by their row sum; one-vs-one adds votes and the transformed
 * confidence sum (`_ovr_decision_function`); a chain feeds each member the inputs plus the earlier members'
 * outputs (`chain_method_`). Ref: sklearn `multiclass.py`, `multioutput.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { dense, matrix } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, labels, need, num, str, strings } from "../../py-access.ts";

function members(o: PyObject, ctx: BuildContext): SkEstimator[] {
  const raw = need(o, "estimators_");
  // OneVsOneClassifier keeps a tuple (`zip(*...)`), the others a list.
  const list =
    typeof raw === "object" && raw !== null && "kind" in raw && raw.kind === "tuple" ? raw.items : raw;
  if (!Array.isArray(list) || list.length === 0)
    throw Errors.invalidModel(ctx.file, `${o.name}.estimators_ is not a non-empty list`);
  return list.map((e: PyValue, i) => {
    if (!isObject(e)) throw Errors.invalidModel(ctx.file, `${o.name}.estimators_[${i}] is not an estimator`);
    return ctx.build(e, `${o.name}.estimators_[${i}]`);
  });
}

function inputsOf(o: PyObject, first: SkEstimator) {
  const n = attr(o, "n_features_in_");
  return {
    nFeaturesIn: n === undefined ? first.nFeaturesIn : num(n, `${o.name}.n_features_in_`),
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? first.featureNamesIn,
  };
}

/** `_predict_binary`: a regressor's prediction, else the decision function, else P(class 1). */
function binaryScore(e: SkEstimator, x: SkData): Float64Array {
  if (e.role === "regressor") return Float64Array.from(dense(e.predict!(x) as DenseData).data);
  if (e.decisionFunction) {
    const d = e.decisionFunction(x);
    return Float64Array.from(d.data);
  }
  if (e.predictProba) {
    const p = e.predictProba(x);
    return Float64Array.from({ length: p.rows }, (_, r) => p.data[r * p.cols + 1]);
  }
  throw new Error(`${e.className} has neither decision_function nor predict_proba`);
}

/**
 * `_threshold_for_binary_predict`: 0 for a classifier with a decision function, else 0.5. `_ConstantPredictor`
 * has a decision function but is no classifier (no `ClassifierMixin`): 0.5.
 */
function threshold(e: SkEstimator): number {
  return e.decisionFunction && e.role === "classifier" && e.className !== "_ConstantPredictor" ? 0 : 0.5;
}

/** Every member's full `predict_proba` rows side by side, member after member (`rows × Σ classes`). */
function probaSideBySide(ps: readonly Matrix[]): Matrix {
  const rows = ps[0].rows;
  const width = ps.reduce((n, p) => n + p.cols, 0);
  const out = new Float64Array(rows * width);
  let at = 0;
  for (const p of ps) {
    for (let r = 0; r < rows; r++) out.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), r * width + at);
    at += p.cols;
  }
  return matrix(rows, width, out);
}

/** A member's classes, which a multi-output answer needs for its probabilities. */
function memberClasses(e: SkEstimator, file: string, what: string): readonly Label[] {
  if (!e.classes) throw Errors.invalidModel(file, `${what} has no classes_`);
  return e.classes;
}

/** `_ConstantPredictor`: the member one-vs-rest keeps for a class present in every (or no) training row. */
export function constantPredictor(o: PyObject): SkEstimator {
  const y = floats(need(o, "y_"), "_ConstantPredictor.y_").data[0];
  const rows = (x: SkData) => x.rows;
  return {
    className: o.name,
    role: "classifier",
    classes: [0, 1],
    predict: (x) => new Array<Label>(rows(x)).fill(y),
    decisionFunction: (x) => matrix(rows(x), 1, new Float64Array(rows(x)).fill(y)),
    predictProba: (x) => {
      const out = new Float64Array(rows(x) * 2);
      for (let r = 0; r < rows(x); r++) {
        out[r * 2] = 1 - y;
        out[r * 2 + 1] = y;
      }
      return matrix(rows(x), 2, out);
    },
  };
}

/**
 * A multilabel OneVsRestClassifier (fitted on a 0/1 indicator matrix): `predict` is the indicator matrix (label
 * i set when member i's binary score is above the first member's threshold), and each output's probabilities
 * are its member's `predict_proba` row (`[P(0), P(1)]`; scikit-learn's `predict_proba[:, i]` is the `P(1)`).
 */
function multilabelOneVsRest(
  o: PyObject,
  ests: readonly SkEstimator[],
  classes: readonly Label[],
  ctx: BuildContext,
): SkEstimator {
  if (ests.length !== classes.length)
    throw Errors.invalidModel(
      ctx.file,
      `OneVsRestClassifier has ${ests.length} members for ${classes.length} labels`,
    );
  const t = threshold(ests[0]);
  const canProba = ests.every((e) => e.predictProba);
  return {
    className: o.name,
    role: "regressor",
    nOutputs: ests.length,
    outputNames: classes.map(String),
    ...(canProba
      ? {
          outputClasses: ests.map((e, i) =>
            memberClasses(e, ctx.file, `OneVsRestClassifier.estimators_[${i}]`),
          ),
          predictProba: (x: SkData) => probaSideBySide(ests.map((e) => e.predictProba!(x))),
        }
      : {}),
    ...inputsOf(o, ests[0]),
    predict: (x) =>
      columns(
        ests.map((e) => binaryScore(e, x).map((s) => (s > t ? 1 : 0))),
        x.rows,
      ),
    ...(ests.every((e) => e.decisionFunction)
      ? {
          decisionFunction: (x: SkData): Matrix => {
            const d = columns(
              ests.map((e) => Float64Array.from(e.decisionFunction!(x).data)),
              x.rows,
            );
            return matrix(d.rows, d.cols, d.data);
          },
        }
      : {}),
  };
}

/** OneVsRestClassifier: multiclass, binary or multilabel. */
export function oneVsRest(o: PyObject, ctx: BuildContext): SkEstimator {
  const ests = members(o, ctx);
  const lb = need(o, "label_binarizer_");
  if (!isObject(lb))
    throw Errors.invalidModel(ctx.file, "OneVsRestClassifier.label_binarizer_ is not an object");
  const classes = labels(need(lb, "classes_"), "OneVsRestClassifier.label_binarizer_.classes_");
  const yType = str(attr(lb, "y_type_")) ?? "multiclass";
  if (yType.startsWith("multilabel")) return multilabelOneVsRest(o, ests, classes, ctx);
  const multiclass = yType === "multiclass";
  const scores = (x: SkData) => ests.map((e) => binaryScore(e, x));
  const predict = (x: SkData): Label[] => {
    const s = scores(x);
    const rows = s[0].length;
    const out: Label[] = new Array(rows);
    if (multiclass) {
      for (let r = 0; r < rows; r++) {
        let max = Number.NEGATIVE_INFINITY;
        let arg = 0;
        for (let i = 0; i < s.length; i++) {
          const p = s[i][r];
          // np.maximum (NaN wins) then `argmaxima[maxima == pred] = i`: a later member equal to the maximum wins.
          max = Number.isNaN(max) || Number.isNaN(p) ? Number.NaN : Math.max(max, p);
          if (p === max) arg = i;
        }
        out[r] = classes[arg];
      }
      return out;
    }
    const t = threshold(ests[0]);
    for (let r = 0; r < rows; r++) out[r] = classes[s[0][r] > t ? 1 : 0];
    return out;
  };
  const canProba = ests.every((e) => e.predictProba);
  const proba = (x: SkData): Matrix => {
    const ps = ests.map((e) => {
      const p = e.predictProba!(x);
      return Float64Array.from({ length: p.rows }, (_, r) => p.data[r * p.cols + (p.cols > 1 ? 1 : 0)]);
    });
    const rows = ps[0].length;
    if (ests.length === 1) {
      const out = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        out[r * 2] = 1 - ps[0][r];
        out[r * 2 + 1] = ps[0][r];
      }
      // Y /= Y.sum(axis=1): (1 - p) + p, then each divided.
      for (let r = 0; r < rows; r++) {
        const sum = out[r * 2] + out[r * 2 + 1];
        out[r * 2] /= sum;
        out[r * 2 + 1] /= sum;
      }
      return matrix(rows, 2, out);
    }
    const k = ps.length;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += ps[i][r];
      for (let i = 0; i < k; i++) out[r * k + i] = ps[i][r] / sum;
    }
    return matrix(rows, k, out);
  };
  const canDecide = ests.every((e) => e.decisionFunction);
  const decision = (x: SkData): Matrix => {
    const ds = ests.map((e) => Float64Array.from(e.decisionFunction!(x).data));
    const rows = ds[0].length;
    const k = ds.length;
    const out = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) out[r * k + i] = ds[i][r];
    return matrix(rows, k, out);
  };
  return {
    className: o.name,
    role: "classifier",
    classes,
    ...inputsOf(o, ests[0]),
    predict,
    ...(canProba ? { predictProba: proba } : {}),
    ...(canDecide ? { decisionFunction: decision } : {}),
  };
}

/** OneVsOneClassifier: pairwise votes plus transformed confidences. */
export function oneVsOne(o: PyObject, ctx: BuildContext): SkEstimator {
  const ests = members(o, ctx);
  const classes = labels(need(o, "classes_"), "OneVsOneClassifier.classes_");
  const k = classes.length;
  if (ests.length !== (k * (k - 1)) / 2)
    throw Errors.invalidModel(ctx.file, `OneVsOneClassifier has ${ests.length} members for ${k} classes`);
  const pairwise = attr(o, "pairwise_indices_");
  if (pairwise !== undefined && pairwise !== null)
    throw Errors.unsupportedModel(ctx.file, "OneVsOneClassifier over a precomputed kernel");
  const votesAndConfidence = (x: SkData): Matrix => {
    const preds = ests.map((e) => (e.predict!(x) as readonly Label[]).map(Number));
    const conf = ests.map((e) => binaryScore(e, x));
    const rows = x.rows;
    const votes = new Float64Array(rows * k);
    const sums = new Float64Array(rows * k);
    let m = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        for (let r = 0; r < rows; r++) {
          sums[r * k + i] -= conf[m][r];
          sums[r * k + j] += conf[m][r];
          if (preds[m][r] === 0) votes[r * k + i] += 1;
          else if (preds[m][r] === 1) votes[r * k + j] += 1;
        }
        m++;
      }
    }
    const out = new Float64Array(rows * k);
    for (let c = 0; c < out.length; c++) out[c] = votes[c] + sums[c] / (3 * (Math.abs(sums[c]) + 1));
    return matrix(rows, k, out);
  };
  const decision = (x: SkData): Matrix => {
    const y = votesAndConfidence(x);
    if (k !== 2) return y;
    return matrix(
      y.rows,
      1,
      Float64Array.from({ length: y.rows }, (_, r) => y.data[r * 2 + 1]),
    );
  };
  const predict = (x: SkData): Label[] => {
    const y = decision(x);
    const out: Label[] = new Array(y.rows);
    if (k === 2) {
      const t = threshold(ests[0]);
      for (let r = 0; r < y.rows; r++) out[r] = classes[y.data[r] > t ? 1 : 0];
      return out;
    }
    for (let r = 0; r < y.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (y.data[r * k + c] > y.data[r * k + best]) best = c;
      out[r] = classes[best];
    }
    return out;
  };
  return {
    className: o.name,
    role: "classifier",
    classes,
    ...inputsOf(o, ests[0]),
    predict,
    decisionFunction: decision,
  };
}

/** Columns side by side as a dense matrix. */
function columns(cols: readonly Float64Array[], rows: number): DenseData {
  const k = cols.length;
  const out = new Float64Array(rows * k);
  for (let i = 0; i < k; i++) for (let r = 0; r < rows; r++) out[r * k + i] = cols[i][r];
  return { kind: "dense", rows, cols: k, data: out };
}

/** A member's predictions as numbers (labels must be numeric to sit in one output matrix). */
function numericPredictions(e: SkEstimator, x: SkData, file: string, what: string): Float64Array {
  const p = e.predict!(x);
  if (!Array.isArray(p)) return Float64Array.from((p as DenseData).data);
  return Float64Array.from(p as readonly Label[], (v) => {
    if (typeof v === "string") throw Errors.unsupportedModel(file, `${what} with text labels`);
    return Number(v);
  });
}

/**
 * A MultiOutputClassifier's labels when some are text: each member's own labels side by side. A target matrix
 * mixing text and numbers is an object array, so `np.asarray(...).T` keeps each label's type.
 */
function textLabelRows(ests: readonly SkEstimator[], x: SkData): Label[][] {
  const per = ests.map((e) => e.predict!(x) as readonly Label[]);
  return Array.from({ length: x.rows }, (_, r) => per.map((p) => p[r]));
}

/**
 * MultiOutputClassifier / MultiOutputRegressor: one member per output, predictions side by side
 * (rows × outputs); a classifier with text labels answers label rows instead of a matrix of numbers.
 */
export function multiOutput(o: PyObject, ctx: BuildContext): SkEstimator {
  const ests = members(o, ctx);
  const text =
    o.name === "MultiOutputClassifier" && ests.some((e) => e.classes?.some((c) => typeof c === "string"));
  const probabilistic = o.name === "MultiOutputClassifier" && ests.every((e) => e.predictProba);
  return {
    className: o.name,
    role: "regressor",
    nOutputs: ests.length,
    ...inputsOf(o, ests[0]),
    ...(text
      ? { predictLabelRows: (x: SkData) => textLabelRows(ests, x) }
      : {
          predict: (x: SkData) =>
            columns(
              ests.map((e, i) => numericPredictions(e, x, ctx.file, `${o.name} output ${i}`)),
              x.rows,
            ),
        }),
    // predict_proba: the list of each member's probabilities, here side by side.
    ...(probabilistic
      ? {
          outputClasses: ests.map((e, i) => memberClasses(e, ctx.file, `${o.name}.estimators_[${i}]`)),
          predictProba: (x: SkData) => probaSideBySide(ests.map((e) => e.predictProba!(x))),
        }
      : {}),
  };
}

/** The inputs with extra columns appended (np.hstack((X, previous))). */
function augmented(x: DenseData, extra: readonly Float64Array[]): DenseData {
  if (extra.length === 0) return x;
  const cols = x.cols + extra.length;
  const out = new Float64Array(x.rows * cols);
  for (let r = 0; r < x.rows; r++) {
    out.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), r * cols);
    for (let j = 0; j < extra.length; j++) out[r * cols + x.cols + j] = extra[j][r];
  }
  return { kind: "dense", rows: x.rows, cols, data: out };
}

/**
 * ClassifierChain / RegressorChain: member i sees the inputs plus what members 0…i-1 gave (their `predict`, or
 * with `chain_method_` their positive-class probability or decision score), and the outputs come back in
 * the original target order (`order_`).
 */
export function chain(o: PyObject, ctx: BuildContext): SkEstimator {
  const ests = members(o, ctx);
  const order = Array.from(floats(need(o, "order_"), `${o.name}.order_`).data);
  if (order.length !== ests.length)
    throw Errors.invalidModel(
      ctx.file,
      `${o.name}.order_ has ${order.length} entries for ${ests.length} members`,
    );
  const method = str(attr(o, "chain_method_")) ?? "predict";
  if (method !== "predict" && method !== "predict_proba" && method !== "decision_function")
    throw Errors.unsupportedModel(ctx.file, `${o.name} with chain_method=${method}`);
  const feature = (e: SkEstimator, x: SkData): Float64Array => {
    if (method === "predict") return numericPredictions(e, x, ctx.file, o.name);
    if (method === "predict_proba") {
      const p = e.predictProba!(x);
      return Float64Array.from({ length: p.rows }, (_, r) => p.data[r * p.cols + 1]);
    }
    return Float64Array.from(e.decisionFunction!(x).data);
  };
  // Y_pred_chain[:, inv_order]: output j is the member at position inv_order[j] of the chain.
  const inv = new Array<number>(order.length);
  order.forEach((target, pos) => {
    inv[target] = pos;
  });
  /** Each member's output on the inputs augmented by the earlier members' chain features, in target order. */
  const runEach = <T>(x: SkData, output: (e: SkEstimator, xa: DenseData) => T): T[] => {
    const base = dense(x);
    const features: Float64Array[] = [];
    const outputs: T[] = [];
    for (const e of ests) {
      const xa = augmented(base, features);
      outputs.push(output(e, xa));
      features.push(feature(e, xa));
    }
    return inv.map((pos) => outputs[pos]);
  };
  const run = (x: SkData, output: (e: SkEstimator, xa: DenseData) => Float64Array): DenseData =>
    columns(runEach(x, output), x.rows);
  // predict_proba: scikit-learn answers each output's P(class 1); the members' full rows hold it, in target order.
  const probabilistic = o.name === "ClassifierChain" && ests.every((e) => e.predictProba);
  const outputClasses = probabilistic
    ? inv.map((pos) => memberClasses(ests[pos], ctx.file, `${o.name}.estimators_[${pos}]`))
    : undefined;
  const predict = (x: SkData): DenseData => run(x, (e, xa) => numericPredictions(e, xa, ctx.file, o.name));
  const decisionFunction =
    o.name === "ClassifierChain" && ests.every((e) => e.decisionFunction)
      ? (x: SkData): Matrix => {
          const d = run(x, (e, xa) => Float64Array.from(e.decisionFunction!(xa).data));
          return matrix(d.rows, d.cols, d.data);
        }
      : undefined;
  return {
    className: o.name,
    role: "regressor",
    nOutputs: ests.length,
    ...inputsOf(o, ests[0]),
    predict,
    ...(decisionFunction ? { decisionFunction } : {}),
    ...(outputClasses
      ? {
          outputClasses,
          predictProba: (x: SkData) => probaSideBySide(runEach(x, (e, xa) => e.predictProba!(xa))),
        }
      : {}),
  };
}
