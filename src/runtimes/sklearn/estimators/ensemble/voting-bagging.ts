/**
 * @module Builders of VotingClassifier/VotingRegressor and BaggingClassifier/BaggingRegressor over any rebuilt
 * estimators. Voting: members were fitted on the encoded target (`le_`), so their labels are codes; 'soft' is
 * the weighted average of probabilities (numpy's `average`: products summed in member order over the sum of
 * weights), 'hard' the weighted vote (`bincount`, first maximum); a regressor averages predictions.
 * Bagging: each member sees its `estimators_features_` columns; probabilities summed in member order (a
 * member that saw fewer classes adds into its own classes' columns; one without probabilities adds one vote)
 * and divided by `n_estimators`; the regressor averages. Stacking: the members' `stack_method_` outputs side by
 * side (a binary classifier's probabilities without their first column; X appended with `passthrough`) go to
 * `final_estimator_`, whose label codes map to `classes_`. Ref: sklearn `ensemble/_voting.py`, `_bagging.py`,
 * `_stacking.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { argmaxLabels, dense, matrix, sideBySide } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, labels, need, num, str, strings } from "../../py-access.ts";

function membersOf(o: PyObject, ctx: BuildContext): SkEstimator[] {
  const list = need(o, "estimators_");
  if (!Array.isArray(list) || list.length === 0)
    throw Errors.invalidModel(ctx.file, `${o.name}.estimators_ is not a non-empty list`);
  return list.map((e: PyValue, i) => {
    if (!isObject(e)) throw Errors.invalidModel(ctx.file, `${o.name}.estimators_[${i}] is not an estimator`);
    return ctx.build(e, `${o.name}.estimators_[${i}]`);
  });
}

/** The weights of the members that were not dropped, or undefined (equal weights). */
function votingWeights(o: PyObject, n: number): Float64Array | undefined {
  const w = attr(o, "weights");
  if (w === undefined || w === null) return undefined;
  const all = floats(w, `${o.name}.weights`).data;
  const ests = attr(o, "estimators");
  const items = Array.isArray(ests) ? ests : [];
  // `_weights_not_none`: the weights of members that are not 'drop'.
  const kept =
    items.length === all.length
      ? Array.from(all).filter((_, i) => {
          const t = items[i];
          const e =
            typeof t === "object" && t !== null && "kind" in t && t.kind === "tuple" ? t.items[1] : undefined;
          return e !== "drop";
        })
      : Array.from(all);
  return kept.length === n ? Float64Array.from(kept) : undefined;
}

function common(o: PyObject, first: SkEstimator) {
  const n = attr(o, "n_features_in_");
  return {
    nFeaturesIn: n === undefined ? first.nFeaturesIn : num(n, `${o.name}.n_features_in_`),
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? first.featureNamesIn,
  };
}

/** VotingClassifier ('hard' or 'soft'). */
export function votingClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const members = membersOf(o, ctx);
  const classes = labels(need(o, "classes_"), "VotingClassifier.classes_");
  const k = classes.length;
  const weights = votingWeights(o, members.length);
  const soft = (str(attr(o, "voting")) ?? "hard") === "soft";
  if (soft && members.some((m) => !m.predictProba))
    throw Errors.unsupportedModel(ctx.file, "a soft VotingClassifier over a member without probabilities");
  let wsum = 0;
  if (weights) for (const w of weights) wsum += w;
  const proba = (x: SkData): Matrix => {
    let acc: Float64Array | undefined;
    let rows = 0;
    members.forEach((m, i) => {
      const p = m.predictProba!(x);
      rows = p.rows;
      if (!acc) acc = new Float64Array(p.data.length);
      const w = weights ? weights[i] : 1;
      for (let j = 0; j < acc.length; j++) acc[j] += weights ? p.data[j] * w : p.data[j];
    });
    const out = acc!;
    const div = weights ? wsum : members.length;
    for (let j = 0; j < out.length; j++) out[j] /= div;
    return matrix(rows, k, out);
  };
  const hard = (x: SkData): Label[] => {
    const votes = members.map((m) => m.predict!(x) as readonly Label[]);
    const rows = votes[0].length;
    const out: Label[] = new Array(rows);
    const counts = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      counts.fill(0);
      votes.forEach((v, i) => {
        const c = Number(v[r]);
        if (Number.isInteger(c) && c >= 0 && c < k) counts[c] += weights ? weights[i] : 1;
      });
      let best = 0;
      for (let c = 1; c < k; c++) if (counts[c] > counts[best]) best = c;
      out[r] = classes[best];
    }
    return out;
  };
  // transform: the members' probabilities side by side (soft, flatten_transform) or their label codes (hard).
  const transform = (x: SkData): DenseData => {
    if (soft) {
      if (attr(o, "flatten_transform") === false)
        throw Errors.unsupportedModel(ctx.file, "VotingClassifier.transform with flatten_transform=False");
      return sideBySide(
        members.map((m) => m.predictProba!(x)),
        x.rows,
      );
    }
    return sideBySide(
      members.map((m) => {
        const l = m.predict!(x) as readonly Label[];
        return matrix(
          l.length,
          1,
          Float64Array.from(l, (v) => Number(v)),
        );
      }),
      x.rows,
    );
  };
  return {
    className: o.name,
    role: "classifier",
    classes,
    transform,
    ...common(o, members[0]),
    ...(soft
      ? {
          predictProba: proba,
          predictIsArgmaxProba: true,
          predict: (x: SkData) => argmaxLabels(proba(x), classes),
        }
      : { predict: hard }),
  };
}

/** VotingRegressor: the (weighted) average of the members' predictions. */
export function votingRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const members = membersOf(o, ctx);
  const weights = votingWeights(o, members.length);
  let wsum = 0;
  if (weights) for (const w of weights) wsum += w;
  return {
    className: o.name,
    role: "regressor",
    nOutputs: 1,
    ...common(o, members[0]),
    transform: (x) =>
      sideBySide(
        members.map((m) => m.predict!(x) as DenseData),
        x.rows,
      ),
    predict(x): DenseData {
      let acc: Float64Array | undefined;
      members.forEach((m, i) => {
        const p = (m.predict!(x) as DenseData).data;
        if (!acc) acc = new Float64Array(p.length);
        for (let j = 0; j < p.length; j++) acc[j] += weights ? p[j] * weights[i] : p[j];
      });
      const out = acc!;
      const div = weights ? wsum : members.length;
      for (let j = 0; j < out.length; j++) out[j] /= div;
      return { kind: "dense", rows: out.length, cols: 1, data: out };
    },
  };
}

/** The column subsets each bagging member was fitted on. */
function featureSets(o: PyObject, n: number): Int32Array[] {
  const f = need(o, "estimators_features_");
  const items = Array.isArray(f) ? f : [];
  if (items.length !== n)
    throw Errors.invalidModel(o.name, `${o.name}.estimators_features_ does not match estimators_`);
  return items.map((v, i) => Int32Array.from(floats(v, `${o.name}.estimators_features_[${i}]`).data));
}

function columns(x: SkData, cols: Int32Array): DenseData {
  const d = dense(x);
  const out = new Float64Array(d.rows * cols.length);
  for (let r = 0; r < d.rows; r++)
    for (let k = 0; k < cols.length; k++) out[r * cols.length + k] = d.data[r * d.cols + cols[k]];
  return { kind: "dense", rows: d.rows, cols: cols.length, data: out };
}

/** BaggingClassifier. */
export function baggingClassifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const members = membersOf(o, ctx);
  const feats = featureSets(o, members.length);
  const classes = labels(need(o, "classes_"), "BaggingClassifier.classes_");
  const k = classes.length;
  const proba = (x: SkData): Matrix => {
    const rows = x.rows;
    const acc = new Float64Array(rows * k);
    members.forEach((m, i) => {
      const sub = columns(x, feats[i]);
      if (m.predictProba) {
        const p = m.predictProba(sub);
        const own = (m.classes ?? []).map((c) => Number(c));
        const full = own.length === k;
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < p.cols; c++) acc[r * k + (full ? c : own[c])] += p.data[r * p.cols + c];
      } else {
        const l = m.predict!(sub) as readonly Label[];
        for (let r = 0; r < rows; r++) acc[r * k + Number(l[r])] += 1;
      }
    });
    for (let j = 0; j < acc.length; j++) acc[j] /= members.length;
    return matrix(rows, k, acc);
  };
  return {
    className: o.name,
    role: "classifier",
    classes,
    ...common(o, members[0]),
    predictProba: proba,
    predictIsArgmaxProba: true,
    predict: (x) => argmaxLabels(proba(x), classes),
  };
}

/** BaggingRegressor: the mean of the members' predictions on their columns. */
export function baggingRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const members = membersOf(o, ctx);
  const feats = featureSets(o, members.length);
  return {
    className: o.name,
    role: "regressor",
    nOutputs: 1,
    ...common(o, members[0]),
    predict(x): DenseData {
      const acc = new Float64Array(x.rows);
      members.forEach((m, i) => {
        const p = (m.predict!(columns(x, feats[i])) as DenseData).data;
        for (let r = 0; r < acc.length; r++) acc[r] += p[r];
      });
      for (let r = 0; r < acc.length; r++) acc[r] /= members.length;
      return { kind: "dense", rows: acc.length, cols: 1, data: acc };
    },
  };
}

/** One stacked member's contribution to the meta-features, as `_concatenate_predictions` shapes it. */
function stackedOutput(m: SkEstimator, method: string, k: number, x: SkData): Matrix {
  if (method === "predict_proba") {
    const p = m.predictProba!(x);
    // Binary probabilities: the first column is dropped (collinear with the second).
    if (k === 2 && p.cols === 2)
      return matrix(
        p.rows,
        1,
        Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]),
      );
    return p;
  }
  if (method === "decision_function") return m.decisionFunction!(x);
  const out = m.predict!(x);
  if (Array.isArray(out))
    return matrix(
      out.length,
      1,
      Float64Array.from(out as readonly Label[], (v) => Number(v)),
    );
  return out as DenseData;
}

/** StackingClassifier / StackingRegressor: members' outputs (and X with passthrough) into `final_estimator_`. */
export function stacking(o: PyObject, ctx: BuildContext): SkEstimator {
  const list = need(o, "estimators_");
  const raw = (Array.isArray(list) ? list : []).filter((e) => e !== "drop");
  const members = raw.map((e: PyValue, i) => {
    if (!isObject(e)) throw Errors.invalidModel(ctx.file, `${o.name}.estimators_[${i}] is not an estimator`);
    return ctx.build(e, `${o.name}.estimators_[${i}]`);
  });
  const methodsAttr = need(o, "stack_method_");
  const methods = (Array.isArray(methodsAttr) ? methodsAttr : []).map((m) => str(m) ?? "");
  if (methods.length !== members.length || members.length === 0)
    throw Errors.invalidModel(ctx.file, `${o.name}.stack_method_ does not match estimators_`);
  members.forEach((m, i) => {
    const ok =
      methods[i] === "predict_proba"
        ? m.predictProba
        : methods[i] === "decision_function"
          ? m.decisionFunction
          : m.predict;
    if (!ok) throw Errors.unsupportedModel(ctx.file, `${o.name} member ${m.className} without ${methods[i]}`);
  });
  const fin = need(o, "final_estimator_");
  if (!isObject(fin)) throw Errors.invalidModel(ctx.file, `${o.name}.final_estimator_ is missing`);
  const final = ctx.build(fin, `${o.name}.final_estimator_`);
  const classifier = o.name === "StackingClassifier";
  const classes = classifier ? labels(need(o, "classes_"), "StackingClassifier.classes_") : undefined;
  const k = classes?.length ?? 0;
  const passthrough = attr(o, "passthrough") === true;
  const meta = (x: SkData): DenseData => {
    const parts = members.map((m, i) => stackedOutput(m, methods[i], k, x));
    if (passthrough) parts.push(dense(x));
    return sideBySide(parts, x.rows);
  };
  // The final estimator was fitted on the encoded target: its labels are codes into classes_.
  const decode = (l: readonly Label[]): Label[] => l.map((v) => classes![Number(v)] ?? v);
  return {
    className: o.name,
    role: classifier ? "classifier" : "regressor",
    ...(classifier ? { classes } : { nOutputs: final.nOutputs ?? 1 }),
    ...common(o, members[0]),
    transform: meta,
    predict: (x) => {
      const out = final.predict!(meta(x));
      return classifier && Array.isArray(out) ? decode(out as readonly Label[]) : out;
    },
    ...(final.predictProba ? { predictProba: (x: SkData) => final.predictProba!(meta(x)) } : {}),
    ...(final.decisionFunction ? { decisionFunction: (x: SkData) => final.decisionFunction!(meta(x)) } : {}),
  };
}
