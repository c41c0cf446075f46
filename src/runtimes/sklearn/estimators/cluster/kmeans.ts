/**
 * @module Builder of `KMeans` (a clusterer): each row goes to the nearest of `cluster_centers_` by
 * squared Euclidean distance computed as scikit-learn's Lloyd code does, `‖c‖² + (−2·x·c)` with the
 * product as a GEMM FMA chain; ties go to the lowest cluster index (strict `<`). `transform` gives the
 * distances to every centre as `euclidean_distances` computes them, `√max(0, (−2·x·c + ‖x‖²) + ‖c‖²)`,
 * within rounding (numpy's `einsum` sums the squared norms in its own lane order).
 * Ref: sklearn `cluster/_kmeans.py::_labels_inertia`, `cluster/_k_means_lloyd.pyx`,
 * `metrics/pairwise.py::_euclidean_distances`.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { type ChainDots, chainDotsKernel } from "../../../common/wasm-fma.ts";
import type { Label } from "../../../runtime.ts";
import { dense } from "../../data.ts";
import type { DenseData, SkEstimator } from "../../estimator.ts";
import { blasDot, gemmDot } from "../../numeric.ts";
import { attr, floats, need, strings } from "../../py-access.ts";

/** Builder of `KMeans`. */
export function kmeans(o: PyObject): SkEstimator {
  const c = floats(need(o, "cluster_centers_"), `${o.name}.cluster_centers_`);
  const [nc, nf] = c.shape;
  const centers = c.data;
  const norms = Float64Array.from({ length: nc }, (_, j) => blasDot(centers, j * nf, centers, j * nf, nf));
  // Every row's products with the centres, x·c as gemmDot's FMA chains: with the processor's fused
  // multiply-add (wasm-fma.ts) where the engine has one (made at the first call), else the emulation.
  let chains: ChainDots | null | undefined;
  const products = (d: DenseData): Float64Array => {
    const out = new Float64Array(d.rows * nc);
    if (chains === undefined) chains = chainDotsKernel(centers, nc, nf, nf, 1) ?? null;
    if (chains !== null) chains(d.data, 0, d.cols, d.rows, out, 0);
    else
      for (let r = 0; r < d.rows; r++)
        for (let j = 0; j < nc; j++) out[r * nc + j] = gemmDot(d.data, r * d.cols, 1, centers, j * nf, 1, nf);
    return out;
  };
  return {
    className: o.name,
    role: "clusterer",
    nFeaturesIn: nf,
    featureNamesIn: strings(attr(o, "feature_names_in_")),
    transform(x): DenseData {
      const d = dense(x);
      const out = new Float64Array(d.rows * nc);
      const dots = products(d);
      for (let r = 0; r < d.rows; r++) {
        const xx = blasDot(d.data, r * d.cols, d.data, r * d.cols, nf);
        for (let j = 0; j < nc; j++) {
          const s = -2 * dots[r * nc + j] + xx + norms[j];
          out[r * nc + j] = Math.sqrt(Math.max(s, 0));
        }
      }
      return { kind: "dense", rows: d.rows, cols: nc, data: out };
    },
    predict(x): Label[] {
      const d = dense(x);
      const out: Label[] = new Array(d.rows);
      const dots = products(d);
      for (let r = 0; r < d.rows; r++) {
        let best = 0;
        let min = Number.POSITIVE_INFINITY;
        for (let j = 0; j < nc; j++) {
          const s = norms[j] + -2 * dots[r * nc + j];
          if (j === 0 || s < min) {
            min = s;
            best = j;
          }
        }
        out[r] = best;
      }
      return out;
    },
  };
}
