/**
 * @module Multi-output decision trees and forests (fitted on a `rows × outputs` target, e.g. a multilabel 0/1
 * indicator matrix): a node holds `n_outputs × max_n_classes` values. A classifier's probabilities are, per
 * output, the leaf values over that output's `n_classes_[k]` columns divided by their sum (0 sums left
 * alone), averaged over a forest's trees in list order; its labels are, per output, `classes_[k]` at the
 * first maximum (a single tree takes it over the raw leaf values, as `DecisionTreeClassifier.predict` does).
 * A regressor's outputs are the leaf values, summed over trees then divided once. Answers follow the
 * multi-output contract: `rows × outputs` labels (label rows when some are text), probabilities output
 * after output. Ref: sklearn
 * `tree/_classes.py` (`predict`, `predict_proba`), `ensemble/_forest.py`.
 */

import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { dense, matrix } from "../../data.ts";
import type { DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { AttributeError, labels, need } from "../../py-access.ts";
import { type CompiledTree, float32Rows, hasNaN } from "./tree.ts";

/** What the tree and forest builders already read. */
export interface MultiOutputTrees {
  readonly trees: readonly CompiledTree[];
  readonly nOutputs: number;
  readonly nFeatures: number;
  readonly names?: readonly string[];
  readonly allowsMissing: boolean;
  readonly splitMedians: () => ArrayLike<number>;
}

/** `classes_` of a multi-output classifier: one array of labels per output. */
function classesPerOutput(o: PyObject, nOutputs: number): Label[][] {
  const raw: PyValue = need(o, "classes_");
  if (!Array.isArray(raw) || raw.length !== nOutputs)
    throw new AttributeError(`${o.name}.classes_ is not a list of ${nOutputs} arrays`);
  return raw.map((c, k) => labels(c, `${o.name}.classes_[${k}]`));
}

/** Every tree's leaves for every row (`trees × rows`). */
function allLeaves(trees: readonly CompiledTree[], d: DenseData): Int32Array[] {
  const x32 = float32Rows(d.data);
  const nan = hasNaN(x32);
  return trees.map((t) => {
    const leaves = new Int32Array(d.rows);
    t.leaves(x32, d.rows, d.cols, leaves, nan);
    return leaves;
  });
}

/** Builder of a multi-output `DecisionTreeClassifier`/`ExtraTreeClassifier` (one tree) or forest classifier. */
export function multiOutputTreeClassifier(o: PyObject, m: MultiOutputTrees): SkEstimator {
  const classes = classesPerOutput(o, m.nOutputs);
  const stride = m.trees[0].width / m.nOutputs;
  for (const t of m.trees)
    if (t.width !== m.nOutputs * stride || classes.some((cs) => cs.length > stride))
      throw new AttributeError(`${o.name}'s tree values do not hold ${m.nOutputs} outputs of their classes`);
  const offsets: number[] = [];
  let width = 0;
  for (const cs of classes) {
    offsets.push(width);
    width += cs.length;
  }
  const single =
    m.trees.length === 1 && (o.name === "DecisionTreeClassifier" || o.name === "ExtraTreeClassifier");
  const proba = (x: SkData): Matrix => {
    const d = dense(x);
    const out = new Float64Array(d.rows * width);
    const leaves = allLeaves(m.trees, d);
    m.trees.forEach((t, i) => {
      for (let r = 0; r < d.rows; r++) {
        const base = leaves[i][r] * t.width;
        classes.forEach((cs, k) => {
          const at = base + k * stride;
          let sum = 0;
          for (let c = 0; c < cs.length; c++) sum += t.values[at + c];
          if (sum === 0) sum = 1;
          // The tree's normalised row, added to the forest's sum in list order.
          for (let c = 0; c < cs.length; c++) out[r * width + offsets[k] + c] += t.values[at + c] / sum;
        });
      }
    });
    if (!single) for (let i = 0; i < out.length; i++) out[i] /= m.trees.length;
    return matrix(d.rows, width, out);
  };
  /** Per output, the label at the first maximum of `value(r, k, c)` over that output's classes. */
  const labelsOf = (rows: number, value: (r: number, k: number, c: number) => number): Label[][] =>
    Array.from({ length: rows }, (_, r) =>
      classes.map((cs, k) => {
        let best = 0;
        for (let c = 1; c < cs.length; c++) if (value(r, k, c) > value(r, k, best)) best = c;
        return cs[best];
      }),
    );
  const labelRows = (x: SkData): Label[][] => {
    if (single) {
      const t = m.trees[0];
      const d = dense(x);
      const leaves = allLeaves(m.trees, d)[0];
      return labelsOf(d.rows, (r, k, c) => t.values[leaves[r] * t.width + k * stride + c]);
    }
    const p = proba(x);
    return labelsOf(p.rows, (r, k, c) => p.data[r * width + offsets[k] + c]);
  };
  // Text classes (an object or string target array) keep their labels; numbers form the usual matrix.
  const text = classes.some((cs) => cs.some((c) => typeof c === "string"));
  const predict = (x: SkData): DenseData => {
    const rows = labelRows(x);
    return {
      kind: "dense",
      rows: rows.length,
      cols: m.nOutputs,
      data: Float64Array.from(rows.flat(), Number),
    };
  };
  return {
    className: o.name,
    role: "regressor",
    nOutputs: m.nOutputs,
    outputClasses: classes,
    nFeaturesIn: m.nFeatures,
    featureNamesIn: m.names,
    allowsMissing: m.allowsMissing,
    splitMedians: m.splitMedians,
    ...(text ? { predictLabelRows: labelRows } : { predict }),
    predictProba: proba,
  };
}

/** Builder of a multi-output tree or forest regressor: leaf values per output, averaged over trees. */
export function multiOutputTreeRegressor(o: PyObject, m: MultiOutputTrees): SkEstimator {
  const n = m.nOutputs;
  for (const t of m.trees)
    if (t.width !== n) throw new AttributeError(`${o.name}'s tree values do not hold ${n} outputs`);
  return {
    className: o.name,
    role: "regressor",
    nOutputs: n,
    nFeaturesIn: m.nFeatures,
    featureNamesIn: m.names,
    allowsMissing: m.allowsMissing,
    splitMedians: m.splitMedians,
    predict(x) {
      const d = dense(x);
      const out = new Float64Array(d.rows * n);
      const leaves = allLeaves(m.trees, d);
      m.trees.forEach((t, i) => {
        for (let r = 0; r < d.rows; r++)
          for (let k = 0; k < n; k++) out[r * n + k] += t.values[leaves[i][r] * n + k];
      });
      if (m.trees.length > 1) for (let i = 0; i < out.length; i++) out[i] /= m.trees.length;
      return { kind: "dense", rows: d.rows, cols: n, data: out };
    },
  };
}
