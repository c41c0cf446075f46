/**
 * @module Builders of `KNeighborsClassifier` and `KNeighborsRegressor`. The k nearest are chosen as
 * the fitted search method chooses them: brute force through scikit-learn's bounded heap, per-thread
 * heap merge and unstable sort (`select.ts`), ranking Euclidean distances by `‖x‖² − 2x·y + ‖y‖²`
 * with the GEMM product as an FMA chain; KD and ball trees by searching the pickled tree in its own
 * order (`tree-search.ts`). So equally distant points are kept, and ordered, as scikit-learn does.
 * Ref: sklearn `neighbors/_base.py`, `_classification.py`, `_regression.py`,
 * `metrics/_pairwise_distances_reduction/_argkmin.pyx.tp`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { type NearestRows, nearestKernel } from "../../../common/wasm-fma.ts";
import type { Label, Matrix } from "../../../runtime.ts";
import { checkIndices, expect } from "../../checks.ts";
import { dense, matrix } from "../../data.ts";
import type { BuildContext, DenseData, SkData, SkEstimator } from "../../estimator.ts";
import { blasDot, gemmDot, pairwiseSum } from "../../numeric.ts";
import { attr, floats, isArray, labels, need, num, str, strings, versionAtLeast } from "../../py-access.ts";
import { heapPush, simultaneousSort } from "./select.ts";
import { treeIndexOf, treeQuery } from "./tree-search.ts";

type Metric = "euclidean" | "manhattan" | "chebyshev" | "minkowski";

/** Rows whose nearest points are searched together (wasm-fma.ts's block). */
const QUERY_BLOCK = 8;

/** The `p` of a metric's parameters dict, if set. */
function paramP(v: PyValue | undefined): number | undefined {
  if (typeof v !== "object" || v === null || !("kind" in v) || v.kind !== "dict") return undefined;
  const p = v.map.get("p");
  return p === undefined ? undefined : num(p, "metric_params.p");
}

function metricOf(o: PyObject, ctx: BuildContext): { metric: Metric; p: number } {
  const params = attr(o, "effective_metric_params_");
  if (typeof params === "object" && params !== null && "kind" in params && params.kind === "dict") {
    const other = [...params.map.entries()]
      .filter(([key, v]) => key !== "p" && v !== null)
      .map(([key]) => key);
    if (other.length > 0 || params.otherEntries.length > 0)
      throw Errors.unsupportedModel(ctx.file, `${o.name} with metric parameters ${JSON.stringify(other)}`);
  }
  const eff = str(attr(o, "effective_metric_")) ?? str(attr(o, "metric")) ?? "minkowski";
  const p = paramP(attr(o, "effective_metric_params_")) ?? num(attr(o, "p") ?? 2, `${o.name}.p`);
  if (eff === "euclidean" || eff === "l2") return { metric: "euclidean", p: 2 };
  if (eff === "manhattan" || eff === "cityblock" || eff === "l1") return { metric: "manhattan", p: 1 };
  if (eff === "chebyshev" || eff === "infinity") return { metric: "chebyshev", p: Number.POSITIVE_INFINITY };
  if (eff === "minkowski") {
    if (p === 2) return { metric: "euclidean", p };
    if (p === 1) return { metric: "manhattan", p };
    if (p === Number.POSITIVE_INFINITY) return { metric: "chebyshev", p };
    if (!(p > 0)) throw Errors.unsupportedModel(ctx.file, `${o.name} with minkowski p=${p}`);
    return { metric: "minkowski", p };
  }
  throw Errors.unsupportedModel(
    ctx.file,
    `${o.name} with metric ${JSON.stringify(eff)} (supported: minkowski, euclidean, manhattan, chebyshev)`,
  );
}

/** The k nearest training points of every row: indices and distances, `rows × k`. */
type Query = { readonly rows: number; readonly ind: Int32Array; readonly dist: Float64Array };

interface Neighbors {
  readonly nFeatures: number;
  readonly names?: readonly string[];
  readonly k: number;
  /** Training points (`_fit_X` rows): every index `query` returns is below it. */
  readonly nSamples: number;
  readonly distanceWeights: boolean;
  /** Per row: `k` training indices in scikit-learn's order, and their distances. */
  query(x: SkData): Query;
}

function neighborsOf(o: PyObject, ctx: BuildContext): Neighbors {
  const w = attr(o, "weights");
  const weights = w === undefined || w === null ? "uniform" : str(w);
  if (weights !== "uniform" && weights !== "distance")
    throw Errors.unsupportedModel(
      ctx.file,
      `${o.name} with a callable or unknown weights (only 'uniform' and 'distance')`,
    );
  const { metric, p } = metricOf(o, ctx);
  const fit = floats(need(o, "_fit_X"), `${o.name}._fit_X`);
  if (!isArray(attr(o, "_fit_X")) || fit.shape.length !== 2)
    throw Errors.unsupportedModel(ctx.file, `${o.name} fitted on something other than a dense array`);
  const [n, nf] = fit.shape;
  const fx = fit.data;
  const k = num(need(o, "n_neighbors"), `${o.name}.n_neighbors`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw Errors.invalidModel(ctx.file, `${o.name}.n_neighbors=${k} with ${n} training points`);
  const method = str(attr(o, "_fit_method")) ?? "brute";
  const introsortEra = versionAtLeast(ctx.sklearnVersion, 1, 9);
  // A KD or ball tree is searched in its own order (ties kept as scikit-learn keeps them); a tree
  // that cannot be read falls back to brute force, which agrees except among tied points.
  const tree =
    method === "kd_tree" || method === "ball_tree" ? treeIndexOf(attr(o, "_tree"), n, nf) : undefined;
  // Brute-force Euclidean ranks by (‖x‖² + (−2·x·y)) + ‖y‖², as scikit-learn's GEMM-based ArgKmin.
  const gemmTrick = metric === "euclidean" && method === "brute";
  const yNorm = new Float64Array(n);
  if (gemmTrick) for (let j = 0; j < n; j++) yNorm[j] = blasDot(fx, j * nf, fx, j * nf, nf);
  // The products x·y of a row with every training point and the selection of its k smallest keys, with
  // the processor's fused multiply-add (wasm-fma.ts): the same chains as gemmDot's emulation and the
  // same heap as heapPush, made on the first query (a copy of the training points laid out for it),
  // null where the engine cannot.
  let nearest: NearestRows | undefined | null = gemmTrick ? undefined : null;
  // The heaps of up to QUERY_BLOCK rows at a time, and those rows' squared norms (reused).
  let blockValues: Float64Array | undefined;
  let blockIndices: Int32Array | undefined;
  const blockNorms = new Float64Array(QUERY_BLOCK);

  /** The ranking key: squared distance (Euclidean), `Σ|d|^p` (Minkowski), else the distance. */
  function rankKey(x: DenseData, r: number, j: number, xNorm: number): number {
    const xo = r * x.cols;
    const yo = j * nf;
    if (gemmTrick) {
      return xNorm + -2 * gemmDot(x.data, xo, 1, fx, yo, 1, nf) + yNorm[j];
    }
    let s = 0;
    if (metric === "euclidean") {
      for (let t = 0; t < nf; t++) {
        const d = x.data[xo + t] - fx[yo + t];
        s += d * d;
      }
      return s;
    }
    if (metric === "manhattan") {
      for (let t = 0; t < nf; t++) s += Math.abs(x.data[xo + t] - fx[yo + t]);
      return s;
    }
    if (metric === "chebyshev") {
      for (let t = 0; t < nf; t++) s = Math.max(s, Math.abs(x.data[xo + t] - fx[yo + t]));
      return s;
    }
    for (let t = 0; t < nf; t++) s += Math.abs(x.data[xo + t] - fx[yo + t]) ** p;
    return s;
  }

  /** The distance from a ranking key (scikit-learn's `_rdist_to_dist`, negatives clipped). */
  function fromKey(s: number): number {
    if (metric === "euclidean") return Math.sqrt(gemmTrick ? Math.max(s, 0) : s);
    if (metric === "minkowski") return s ** (1 / p);
    return s;
  }

  return {
    nFeatures: nf,
    names: strings(attr(o, "feature_names_in_")),
    k,
    nSamples: n,
    distanceWeights: weights === "distance",
    query(x) {
      const d = dense(x);
      const ind = new Int32Array(d.rows * k);
      const dist = new Float64Array(d.rows * k);
      const h1v = new Float64Array(k);
      const h1i = new Int32Array(k);
      for (let r = 0; r < d.rows; r++) {
        h1v.fill(Number.POSITIVE_INFINITY);
        h1i.fill(-1);
        const o = r * k;
        dist.fill(Number.POSITIVE_INFINITY, o, o + k);
        ind.fill(-1, o, o + k);
        if (tree) {
          treeQuery(tree, { metric, p }, nf, d.data, r * d.cols, (j) => rankKey(d, r, j, 0), dist, ind, o, k);
        } else {
          if (nearest === undefined) nearest = nearestKernel(fx, n, nf, yNorm, k) ?? null;
          if (nearest !== null) {
            // A block's heaps at its first row: the training points are read once per block.
            const b = r % QUERY_BLOCK;
            blockValues ??= new Float64Array(QUERY_BLOCK * k);
            blockIndices ??= new Int32Array(QUERY_BLOCK * k);
            if (b === 0) {
              const count = Math.min(QUERY_BLOCK, d.rows - r);
              for (let t = 0; t < count; t++)
                blockNorms[t] = blasDot(d.data, (r + t) * d.cols, d.data, (r + t) * d.cols, nf);
              nearest(d.data, r * d.cols, d.cols, count, blockNorms, blockValues, blockIndices);
            }
            h1v.set(blockValues.subarray(b * k, b * k + k));
            h1i.set(blockIndices.subarray(b * k, b * k + k));
          } else {
            const xNorm = gemmTrick ? blasDot(d.data, r * d.cols, d.data, r * d.cols, nf) : 0;
            for (let j = 0; j < n; j++) heapPush(h1v, h1i, 0, k, rankKey(d, r, j, xNorm), j);
          }
          // parallel_on_Y (scikit-learn's strategy for a batch no larger than the training set):
          // the worker's heap is pushed, slot by slot, into the row's final heap.
          for (let t = 0; t < k; t++) heapPush(dist, ind, o, k, h1v[t], h1i[t]);
        }
        simultaneousSort(dist, ind, o, k, introsortEra);
        for (let t = 0; t < k; t++) dist[o + t] = fromKey(dist[o + t]);
      }
      return { rows: d.rows, ind, dist };
    },
  };
}

/** scikit-learn's distance weights for one row: 1/d, or 1 for exact matches and 0 elsewhere. */
function rowWeights(dist: Float64Array, o: number, k: number, out: Float64Array): void {
  let zero = false;
  for (let t = 0; t < k; t++) if (dist[o + t] === 0) zero = true;
  for (let t = 0; t < k; t++) out[t] = zero ? (dist[o + t] === 0 ? 1 : 0) : 1 / dist[o + t];
}

/** A classifier's labels and training targets: one output, or several (`outputs_2d_`, fitted on a matrix). */
function targetsOf(o: PyObject, nSamples: number, file: string) {
  const y = floats(need(o, "_y"), `${o.name}._y`).data;
  if (attr(o, "outputs_2d_") !== true) {
    const classes = labels(need(o, "classes_"), `${o.name}.classes_`);
    expect(y.length === nSamples, o.name, "_y", `${nSamples} labels (one per training point)`, y.length);
    checkIndices(y, classes.length, o.name, "_y");
    return { outputs: [classes], y: [y], multi: false };
  }
  const raw = need(o, "classes_");
  if (!Array.isArray(raw) || raw.length === 0)
    throw Errors.invalidModel(file, `${o.name}.classes_ is not a list of arrays`);
  const outputs = raw.map((c, k) => labels(c, `${o.name}.classes_[${k}]`));
  const n = outputs.length;
  expect(
    y.length === nSamples * n,
    o.name,
    "_y",
    `${nSamples} × ${n} labels (one row per training point)`,
    y.length,
  );
  // _y is (n_samples, n_outputs): one column of class indices per output.
  const cols = outputs.map((cs, k) => {
    const col = Float64Array.from({ length: nSamples }, (_, i) => y[i * n + k]);
    checkIndices(col, cs.length, o.name, `_y[:, ${k}]`);
    return col;
  });
  return { outputs, y: cols, multi: true };
}

/**
 * Builder of `KNeighborsClassifier`, single- or multi-output (fitted on a target matrix: each output's label
 * is the mode of its neighbours' labels, probabilities per output as `predict_proba`'s list).
 */
export function classifier(o: PyObject, ctx: BuildContext): SkEstimator {
  const nb = neighborsOf(o, ctx);
  const t = targetsOf(o, nb.nSamples, ctx.file);
  const k = nb.k;

  /**
   * Per-class scores of one output. `predict_proba` adds each neighbour's weight to its class in neighbour
   * order; `predict` with distance weights goes through `weighted_mode`, which sums each class's weights
   * (zeros for the other neighbours) with `np.sum`, pairwise. Counts (uniform) are exact either way.
   */
  function scores(q: Query, y: Float64Array, nc: number, forPredict: boolean): Matrix {
    const { rows, ind, dist } = q;
    const out = new Float64Array(rows * nc);
    const w = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      if (nb.distanceWeights) rowWeights(dist, r * k, k, w);
      else w.fill(1);
      if (forPredict && nb.distanceWeights) {
        for (let c = 0; c < nc; c++)
          out[r * nc + c] = pairwiseSum((i) => (y[ind[r * k + i]] === c ? w[i] : 0), 0, k);
      } else {
        for (let i = 0; i < k; i++) out[r * nc + y[ind[r * k + i]]] += w[i];
      }
    }
    return matrix(rows, nc, out);
  }
  /** Each output's label index per row: the first class with the highest score. */
  function predictIndices(q: Query, out: number): Int32Array {
    const nc = t.outputs[out].length;
    const s = scores(q, t.y[out], nc, true);
    const best = new Int32Array(s.rows);
    for (let r = 0; r < s.rows; r++) {
      let b = 0;
      for (let c = 1; c < nc; c++) if (s.data[r * nc + c] > s.data[r * nc + b]) b = c;
      best[r] = b;
    }
    return best;
  }
  function probaOf(q: Query, out: number): Matrix {
    const nc = t.outputs[out].length;
    const s = scores(q, t.y[out], nc, false);
    for (let r = 0; r < s.rows; r++) {
      const norm = pairwiseSum((i) => s.data[i], r * nc, nc);
      for (let c = 0; c < nc; c++) s.data[r * nc + c] /= norm;
    }
    return s;
  }
  const base = { className: o.name, nFeaturesIn: nb.nFeatures, featureNamesIn: nb.names };
  /** Each row's label per output. */
  function labelRows(x: SkData): Label[][] {
    const q = nb.query(x);
    const best = t.outputs.map((_, j) => predictIndices(q, j));
    return Array.from({ length: q.rows }, (_, r) => t.outputs.map((cs, j) => cs[best[j][r]]));
  }
  if (t.multi) {
    const n = t.outputs.length;
    const width = t.outputs.reduce((a, cs) => a + cs.length, 0);
    return {
      ...base,
      role: "regressor",
      nOutputs: n,
      outputClasses: t.outputs,
      // Text classes keep their labels (label rows); numbers form the usual matrix.
      ...(t.outputs.some((cs) => cs.some((c) => typeof c === "string"))
        ? { predictLabelRows: (x: SkData) => labelRows(x) }
        : {
            predict(x: SkData): DenseData {
              const rows = labelRows(x);
              return {
                kind: "dense",
                rows: rows.length,
                cols: n,
                data: Float64Array.from(rows.flat(), Number),
              };
            },
          }),
      predictProba(x): Matrix {
        const q = nb.query(x);
        const out = new Float64Array(q.rows * width);
        let at = 0;
        t.outputs.forEach((cs, j) => {
          const p = probaOf(q, j);
          for (let r = 0; r < q.rows; r++)
            out.set(p.data.subarray(r * cs.length, (r + 1) * cs.length), r * width + at);
          at += cs.length;
        });
        return matrix(q.rows, width, out);
      },
    };
  }
  const classes = t.outputs[0];
  return {
    ...base,
    role: "classifier",
    classes,
    predict(x): Label[] {
      const best = predictIndices(nb.query(x), 0);
      return Array.from(best, (b) => classes[b]);
    },
    predictProba: (x) => probaOf(nb.query(x), 0),
  };
}

/** Builder of `KNeighborsRegressor`. */
export function regressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const nb = neighborsOf(o, ctx);
  const yArr = floats(need(o, "_y"), `${o.name}._y`);
  const outputs = yArr.shape.length === 2 ? yArr.shape[1] : 1;
  expect(
    yArr.data.length === nb.nSamples * outputs,
    o.name,
    "_y",
    `${nb.nSamples} × ${outputs} targets (one row per training point)`,
    yArr.data.length,
  );
  const y = yArr.data;
  const k = nb.k;
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: nb.nFeatures,
    featureNamesIn: nb.names,
    nOutputs: outputs,
    predict(x): DenseData {
      const { rows, ind, dist } = nb.query(x);
      const out = new Float64Array(rows * outputs);
      const w = new Float64Array(k);
      for (let r = 0; r < rows; r++) {
        if (nb.distanceWeights) {
          rowWeights(dist, r * k, k, w);
          const denom = pairwiseSum((i) => w[i], 0, k);
          for (let c = 0; c < outputs; c++) {
            const numer = pairwiseSum((i) => y[ind[r * k + i] * outputs + c] * w[i], 0, k);
            out[r * outputs + c] = numer / denom;
          }
        } else {
          // np.mean over the neighbour axis of a (rows, k, outputs) array: with one output that axis is
          // contiguous and numpy sums it pairwise; with several, it adds whole rows in neighbour order.
          for (let c = 0; c < outputs; c++) {
            let s = 0;
            if (outputs === 1) s = pairwiseSum((t) => y[ind[r * k + t]], 0, k);
            else for (let t = 0; t < k; t++) s += y[ind[r * k + t] * outputs + c];
            out[r * outputs + c] = s / k;
          }
        }
      }
      return { kind: "dense", rows, cols: outputs, data: out };
    },
  };
}
