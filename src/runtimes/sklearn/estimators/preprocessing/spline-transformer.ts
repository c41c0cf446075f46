/**
 * @module Builder of SplineTransformer: each feature expanded into its B-spline basis, evaluated as scipy's
 * `BSpline.__call__` does (`find_interval`, then de Boor's recurrence for the k+1 non-zero basis functions of
 * that interval, multiplied by the identity coefficients scikit-learn stores), with the `error`, `constant`
 * and `continue` extrapolations; `include_bias=False` drops each feature's last spline. `linear` and
 * `periodic` extrapolation are refused. Ref: sklearn `preprocessing/_polynomial.py` (`SplineTransformer.transform`),
 * scipy `interpolate/_bspl.pyx` (`find_interval`, `_deBoor_D`).
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, need, num, str } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

interface Spline {
  readonly t: Float64Array;
  readonly k: number;
  readonly nSplines: number;
}

/** scipy's `find_interval`: l in [k, n-1] with t[l] <= x < t[l+1] (clamped at the ends), or -1. */
function findInterval(t: Float64Array, k: number, x: number, extrapolate: boolean): number {
  const n = t.length - k - 1;
  if (Number.isNaN(x)) return -1;
  if ((x < t[k] || x > t[n]) && !extrapolate) return -1;
  let l = k;
  while (x < t[l] && l !== k) l--;
  l++;
  while (x >= t[l] && l !== n) l++;
  return l - 1;
}

/** Writes the basis values of `x` into `out[at … at+nSplines)` (NaN when outside without extrapolation). */
function basis(
  s: Spline,
  x: number,
  extrapolate: boolean,
  out: Float64Array,
  at: number,
  h: Float64Array,
  hh: Float64Array,
) {
  const { t, k } = s;
  const m = findInterval(t, k, x, extrapolate);
  if (m < 0) {
    for (let j = 0; j < s.nSplines; j++) out[at + j] = Number.NaN;
    return;
  }
  h[0] = 1;
  for (let j = 1; j <= k; j++) {
    for (let i = 0; i < j; i++) hh[i] = h[i];
    h[0] = 0;
    for (let n = 1; n <= j; n++) {
      const xb = t[m + n];
      const xa = t[m + n - j];
      if (xb === xa) {
        h[n] = 0;
        continue;
      }
      const w = hh[n - 1] / (xb - xa);
      h[n - 1] += w * (xb - x);
      h[n] = w * (x - xa);
    }
  }
  for (let j = 0; j < s.nSplines; j++) out[at + j] = 0;
  for (let a = 0; a <= k; a++) {
    const col = m + a - k;
    if (col >= 0 && col < s.nSplines) out[at + col] = h[a];
  }
}

/** SplineTransformer (dense output). */
export function splineTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const extrapolation = str(attr(o, "extrapolation")) ?? "constant";
  if (extrapolation !== "error" && extrapolation !== "constant" && extrapolation !== "continue")
    throw Errors.unsupportedModel(ctx.file, `SplineTransformer with extrapolation="${extrapolation}"`);
  if (attr(o, "sparse_output") === true)
    throw Errors.unsupportedModel(ctx.file, "SplineTransformer with sparse_output=True");
  const list = need(o, "bsplines_");
  if (!Array.isArray(list) || list.length === 0)
    throw Errors.invalidModel(ctx.file, "SplineTransformer.bsplines_ is not a list of splines");
  const splines: Spline[] = list.map((b, i) => {
    if (!isObject(b))
      throw Errors.invalidModel(ctx.file, `SplineTransformer.bsplines_[${i}] is not a BSpline`);
    // scipy ≥ 1.15 keeps the knots and coefficients as `_t` / `_c`.
    const t = Float64Array.from(floats(attr(b, "t") ?? need(b, "_t"), `bsplines_[${i}].t`).data);
    const k = num(need(b, "k"), `bsplines_[${i}].k`);
    const c = floats(attr(b, "c") ?? need(b, "_c"), `bsplines_[${i}].c`);
    const nSplines = c.shape.length === 2 ? c.shape[1] : 0;
    if (!Number.isInteger(k) || k < 0 || k > 32 || t.length !== nSplines + k + 1 || c.shape[0] !== nSplines)
      throw Errors.invalidModel(
        ctx.file,
        `SplineTransformer.bsplines_[${i}] has inconsistent knots and coefficients`,
      );
    // scikit-learn stores the identity as coefficients: the output is the basis itself.
    for (let r = 0; r < nSplines; r++)
      for (let q = 0; q < nSplines; q++)
        if (c.data[r * nSplines + q] !== (r === q ? 1 : 0))
          throw Errors.unsupportedModel(ctx.file, "SplineTransformer with non-identity spline coefficients");
    return { t, k, nSplines };
  });
  const includeBias = attr(o, "include_bias") !== false;
  const { names, nFeatures } = fittedInputs(o);
  const nf = splines.length;
  const perFeature = splines[0].nSplines;
  if (splines.some((s) => s.nSplines !== perFeature))
    throw Errors.invalidModel(ctx.file, "SplineTransformer splines of different sizes");
  const kept = includeBias ? perFeature : perFeature - 1;
  const maxK = Math.max(...splines.map((s) => s.k));
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? nf,
    featureNamesIn: names,
    transform(x) {
      const d = dense(x);
      if (d.cols !== nf) throw new DataError(`SplineTransformer takes ${nf} features, got ${d.cols}`);
      const out = new Float64Array(d.rows * nf * kept);
      const row = new Float64Array(perFeature);
      const h = new Float64Array(maxK + 1);
      const hh = new Float64Array(maxK + 1);
      for (let i = 0; i < nf; i++) {
        const s = splines[i];
        const xmin = s.t[s.k];
        const xmax = s.t[s.t.length - s.k - 1];
        for (let r = 0; r < d.rows; r++) {
          const v = d.data[r * nf + i];
          if (extrapolation === "continue") basis(s, v, true, row, 0, h, hh);
          else if (v >= xmin && v <= xmax) basis(s, v, false, row, 0, h, hh);
          else if (extrapolation === "error")
            throw new DataError(
              `feature ${names?.[i] ?? i} is ${v}, beyond the limits of the knots [${xmin}, ${xmax}]`,
            );
          else if (Number.isNaN(v)) row.fill(Number.NaN);
          else basis(s, v < xmin ? xmin : xmax, false, row, 0, h, hh); // constant: the value at the boundary
          const base = r * nf * kept + i * kept;
          for (let j = 0; j < kept; j++) out[base + j] = row[j];
        }
      }
      return { kind: "dense", rows: d.rows, cols: nf * kept, data: out };
    },
  };
}
