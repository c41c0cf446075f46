/**
 * @module Builder of KBinsDiscretizer over its fitted `bin_edges_` (any strategy): a value's bin is the
 * number of inner edges ≤ it (`np.searchsorted(edges[1:-1], x, side="right")`, scikit-learn ≥ 1.1); files
 * from older versions bin as they did then, `np.digitize(x + eps, edges[1:])` with `eps = 1e-8 + 1e-5·|x|`
 * clipped to `[0, n_bins_ - 1]`. `encode`: ordinal, or one-hot blocks of `n_bins_[j]` columns (dense, as
 * `.toarray()` of 'onehot'). Ref: sklearn `preprocessing/_discretization.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { floats, isArray, need, str, versionAtLeast } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** KBinsDiscretizer with encode 'ordinal', 'onehot' or 'onehot-dense'. */
export function kbinsDiscretizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const encode = str(need(o, "encode")) ?? "onehot";
  if (encode !== "ordinal" && encode !== "onehot" && encode !== "onehot-dense")
    throw Errors.unsupportedModel(ctx.file, `KBinsDiscretizer with encode=${encode}`);
  const edgesAttr = need(o, "bin_edges_");
  // bin_edges_ is an object array holding one float array per feature.
  const perFeature = isArray(edgesAttr) && Array.isArray(edgesAttr.data) ? edgesAttr.data : [];
  if (perFeature.length === 0) throw Errors.invalidModel(ctx.file, "KBinsDiscretizer.bin_edges_ is empty");
  const edges = perFeature.map((e, j) => floats(e, `KBinsDiscretizer.bin_edges_[${j}]`).data);
  const nBins = edges.map((e) => Math.max(e.length - 1, 1));
  const legacy = ctx.sklearnVersion !== undefined && !versionAtLeast(ctx.sklearnVersion, 1, 1);
  const width = encode === "ordinal" ? edges.length : nBins.reduce((s, b) => s + b, 0);
  const offsets = Int32Array.from(nBins, (_, j) => nBins.slice(0, j).reduce((s, b) => s + b, 0));
  const { names, nFeatures } = fittedInputs(o);
  const binOf = (e: Float64Array, nb: number, x: number): number => {
    if (legacy) {
      // np.digitize(x + eps, edges[1:]) (right=False): edges ≤ x + eps, then clipped.
      const v = x + (1e-8 + 1e-5 * Math.abs(x));
      let k = 0;
      for (let i = 1; i < e.length; i++) if (e[i] <= v) k++;
      return Math.min(Math.max(k, 0), nb - 1);
    }
    // searchsorted(edges[1:-1], x, side="right") over the sorted inner edges.
    let lo = 1;
    let hi = e.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (e[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? edges.length,
    featureNamesIn: names,
    transform(x) {
      const d = dense(x);
      if (d.cols !== edges.length)
        throw new DataError(`KBinsDiscretizer expects ${edges.length} features, got ${d.cols}`);
      const out = new Float64Array(d.rows * width);
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < d.cols; j++) {
          const v = d.data[r * d.cols + j];
          if (!Number.isFinite(v)) throw new DataError(`KBinsDiscretizer input column ${j} is not finite`);
          const b = binOf(edges[j], nBins[j], v);
          if (encode === "ordinal") out[r * width + j] = b;
          else out[r * width + offsets[j] + b] = 1;
        }
      }
      return { kind: "dense", rows: d.rows, cols: width, data: out };
    },
  };
}
