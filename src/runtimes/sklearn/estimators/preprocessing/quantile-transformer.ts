/**
 * @module Builder of QuantileTransformer (dense input): per feature, the value is placed on `references_`
 * by interpolating `quantiles_` upwards and downwards and averaging the two (repeated quantiles), values at
 * the fitted bounds pinned to 0/1, then for `output_distribution="normal"` mapped through Φ⁻¹ and clipped
 * to Φ⁻¹(1e-7 − ε) … Φ⁻¹(1 − (1e-7 − ε)). NaN passes through. Ref: sklearn `preprocessing/_data.py`
 * (`_transform_col`), numpy `interp`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { normalPpf } from "../../normal.ts";
import { attr, floats, need, str } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

const BOUNDS_THRESHOLD = 1e-7;
const EPS = 2.220446049250313e-16;

/**
 * numpy's `interp(x, xp, fp)` for increasing `xp` (ties allowed): the last `j` with `xp[j] ≤ x`, the
 * exact `fp[j]` on a knot, else `slope·(x − xp[j]) + fp[j]`; `fp[0]`/`fp[-1]` outside.
 */
function interp(x: number, xp: Float64Array, fp: Float64Array): number {
  const n = xp.length;
  if (x < xp[0]) return fp[0];
  if (x > xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1;
  // Largest j with xp[j] <= x.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  const j = lo;
  if (j === n - 1 || xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let y = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(y)) {
    y = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(y) && fp[j] === fp[j + 1]) y = fp[j];
  }
  return y;
}

/** QuantileTransformer, uniform or normal output. */
export function quantileTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const dist = str(attr(o, "output_distribution")) ?? "uniform";
  if (dist !== "uniform" && dist !== "normal")
    throw Errors.unsupportedModel(ctx.file, `QuantileTransformer with output_distribution=${dist}`);
  const q = floats(need(o, "quantiles_"), "QuantileTransformer.quantiles_");
  const refs = floats(need(o, "references_"), "QuantileTransformer.references_").data;
  if (q.shape.length !== 2 || q.shape[0] !== refs.length)
    throw Errors.invalidModel(ctx.file, "QuantileTransformer.quantiles_ does not match references_");
  const [nq, nf] = q.shape;
  // Per feature: the quantiles ascending, and negated descending (the second interpolation direction).
  const cols = Array.from({ length: nf }, (_, j) =>
    Float64Array.from({ length: nq }, (_, i) => q.data[i * nf + j]),
  );
  const negCols = cols.map((c) => Float64Array.from({ length: nq }, (_, i) => -c[nq - 1 - i]));
  const negRefs = Float64Array.from({ length: nq }, (_, i) => -refs[nq - 1 - i]);
  const clipMin = normalPpf(BOUNDS_THRESHOLD - EPS);
  const clipMax = normalPpf(1 - (BOUNDS_THRESHOLD - EPS));
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? nf,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      if (d.cols !== nf) throw new DataError(`QuantileTransformer expects ${nf} features, got ${d.cols}`);
      const out = new Float64Array(d.data.length);
      for (let j = 0; j < nf; j++) {
        const qs = cols[j];
        const lowX = qs[0];
        const highX = qs[nq - 1];
        for (let r = 0; r < d.rows; r++) {
          const v = d.data[r * nf + j];
          if (Number.isNaN(v)) {
            out[r * nf + j] = v;
            continue;
          }
          let y = 0.5 * (interp(v, qs, refs) - interp(-v, negCols[j], negRefs));
          // Bounds are decided on the input; the lower bound wins (scikit-learn assigns it last).
          const lower = dist === "normal" ? v - BOUNDS_THRESHOLD < lowX : v === lowX;
          const upper = dist === "normal" ? v + BOUNDS_THRESHOLD > highX : v === highX;
          if (upper) y = 1;
          if (lower) y = 0;
          if (dist === "normal") y = Math.min(clipMax, Math.max(clipMin, normalPpf(y)));
          out[r * nf + j] = y;
        }
      }
      return { kind: "dense", rows: d.rows, cols: nf, data: out };
    },
  };
}
