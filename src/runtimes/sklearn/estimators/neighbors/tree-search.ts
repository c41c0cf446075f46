/**
 * @module The depth-first k-nearest query of scikit-learn's `KDTree` and `BallTree`, run over the
 * tree pickled inside a fitted KNN model: nodes visited nearer child first (`<=` keeps the left one),
 * pruned when their lower bound exceeds the heap's maximum, leaf points pushed in `idx_array` order.
 * Equally distant points are therefore kept and ordered as scikit-learn's tree keeps them.
 * Ref: sklearn `neighbors/_binary_tree.pxi.tp` (`_query_single_depthfirst`), `_kd_tree.pyx.tp`,
 * `_ball_tree.pyx.tp` (`min_rdist`).
 */

import type { NdArray, NdData, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { checkIndices, expect } from "../../checks.ts";
import { floats, isArray, isObject } from "../../py-access.ts";
import { heapPush } from "./select.ts";

/** The metric as the tree evaluates it. */
export interface TreeMetric {
  readonly metric: "euclidean" | "manhattan" | "chebyshev" | "minkowski";
  readonly p: number;
}

/** A fitted KD or ball tree's arrays. */
export interface TreeIndex {
  readonly kind: "kd" | "ball";
  readonly idx: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly leaf: Uint8Array;
  readonly radius: Float64Array;
  /** KD: (2, nodes, features) lower/upper bounds; ball: (1, nodes, features) centroids. */
  readonly bounds: Float64Array;
  readonly nNodes: number;
}

function numbers(d: NdData | undefined, n: number): Float64Array | undefined {
  if (!d || Array.isArray(d) || d.length !== n) return undefined;
  return Float64Array.from(d as ArrayLike<number | bigint>, (v) => Number(v));
}

/** The tree of a fitted model (`_tree`), or undefined when it is not one modelserve can read. */
export function treeIndexOf(tree: PyValue | undefined, n: number, nf: number): TreeIndex | undefined {
  if (!isObject(tree)) return undefined;
  const a0 = tree.args[0];
  const cls = typeof a0 === "object" && a0 !== null && "name" in a0 ? a0.name : undefined;
  const kind = cls === "KDTree" ? "kd" : cls === "BallTree" ? "ball" : undefined;
  const st = tree.state;
  if (!kind || typeof st !== "object" || st === null || !("kind" in st) || st.kind !== "tuple")
    return undefined;
  const [, idxArr, nodeData, nodeBounds] = st.items;
  if (!isArray(idxArr) || !isArray(nodeData) || !isArray(nodeBounds)) return undefined;
  const nNodes = (nodeData as NdArray).shape[0];
  const f = (nodeData as NdArray).fields;
  const idx = numbers(idxArr.data, n);
  const start = numbers(f?.get("idx_start"), nNodes);
  const end = numbers(f?.get("idx_end"), nNodes);
  const leaf = numbers(f?.get("is_leaf"), nNodes);
  const radius = numbers(f?.get("radius"), nNodes);
  const bounds = floats(nodeBounds, "_tree.node_bounds").data;
  if (!idx || !start || !end || !leaf || !radius) return undefined;
  if (bounds.length !== (kind === "kd" ? 2 : 1) * nNodes * nf) return undefined;
  // The search reads training rows through these: each must stay inside the training set.
  const name = kind === "kd" ? "KDTree" : "BallTree";
  checkIndices(idx, n, name, "idx_array");
  checkIndices(start, n + 1, name, "node_data.idx_start");
  checkIndices(end, n + 1, name, "node_data.idx_end");
  for (let i = 0; i < nNodes; i++)
    expect(start[i] <= end[i], name, "node_data", "idx_start ≤ idx_end", `node ${i}`);
  return {
    kind,
    idx: Int32Array.from(idx),
    start: Int32Array.from(start),
    end: Int32Array.from(end),
    leaf: Uint8Array.from(leaf),
    radius,
    bounds,
    nNodes,
  };
}

/** `x^p` as the tree's metric raises it (`pow` in C; exact for p = 1, 2). */
function powP(v: number, p: number): number {
  return p === 1 ? v : p === 2 ? v * v : v ** p;
}

/**
 * Runs one query: fills `values`/`indices` (a heap of `k` slots at `o`, preset to +∞) with reduced
 * distances, by `rdist(j)` for training row j.
 */
export function treeQuery(
  t: TreeIndex,
  m: TreeMetric,
  nf: number,
  x: ArrayLike<number>,
  xo: number,
  rdist: (j: number) => number,
  values: Float64Array,
  indices: Int32Array,
  o: number,
  k: number,
): void {
  const inf = m.metric === "chebyshev";
  function minRdist(node: number): number {
    if (t.kind === "kd") {
      let r = 0;
      for (let j = 0; j < nf; j++) {
        const lo = t.bounds[node * nf + j] - x[xo + j];
        const hi = x[xo + j] - t.bounds[(t.nNodes + node) * nf + j];
        const d = lo + Math.abs(lo) + (hi + Math.abs(hi));
        if (inf) r = Math.max(r, 0.5 * d);
        else r += powP(0.5 * d, m.p);
      }
      return r;
    }
    // Ball: the distance to the centroid less the radius, floored at 0, as a reduced distance.
    let s = 0;
    for (let j = 0; j < nf; j++) {
      const d = x[xo + j] - t.bounds[node * nf + j];
      if (m.metric === "euclidean") s += d * d;
      else if (inf) s = Math.max(s, Math.abs(d));
      else s += powP(Math.abs(d), m.p);
    }
    const dist = m.metric === "euclidean" ? Math.sqrt(s) : m.metric === "minkowski" ? s ** (1 / m.p) : s;
    const md = Math.max(0, dist - t.radius[node]);
    return m.metric === "euclidean" ? md * md : m.metric === "minkowski" ? powP(md, m.p) : md;
  }
  function visit(node: number, lb: number): void {
    if (lb > values[o]) return;
    if (t.leaf[node]) {
      for (let i = t.start[node]; i < t.end[node]; i++)
        heapPush(values, indices, o, k, rdist(t.idx[i]), t.idx[i]);
      return;
    }
    const i1 = 2 * node + 1;
    const i2 = i1 + 1;
    const lb1 = minRdist(i1);
    const lb2 = minRdist(i2);
    if (lb1 <= lb2) {
      visit(i1, lb1);
      visit(i2, lb2);
    } else {
      visit(i2, lb2);
      visit(i1, lb1);
    }
  }
  visit(0, minRdist(0));
}
