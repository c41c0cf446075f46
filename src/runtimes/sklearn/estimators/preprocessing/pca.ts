/**
 * @module Builder of PCA's transform, in the order the file's scikit-learn version used: before 1.5
 * `(x - mean_) · components_ᵀ`; from 1.5 `x · components_ᵀ - mean_ · components_ᵀ` (centring after the
 * projection, `sqrt(explained_variance_)` clipped below at float64 eps when whitening). Dot products are
 * summed in feature order (BLAS may differ by ~1e-15 relative).
 * Ref: sklearn `decomposition/_base.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, need, versionAtLeast } from "../../py-access.ts";
import { fittedInputs, optionalArray } from "./scalers.ts";

/** PCA (any solver: the fitted attributes are all transform needs). */
export function pca(o: PyObject, ctx: BuildContext): SkEstimator {
  const comp = floats(need(o, "components_"), "PCA.components_");
  if (comp.shape.length !== 2) throw Errors.invalidModel(ctx.file, "PCA.components_ is not a matrix");
  const [k, n] = comp.shape;
  const mean = optionalArray(o, "mean_") ?? new Float64Array(n);
  if (mean.length !== n) throw Errors.invalidModel(ctx.file, "PCA.mean_ does not match components_");
  const projectFirst = versionAtLeast(ctx.sklearnVersion, 1, 5);
  let scale: Float64Array | undefined;
  if (attr(o, "whiten") === true) {
    const ev = floats(need(o, "explained_variance_"), "PCA.explained_variance_").data;
    if (ev.length !== k)
      throw Errors.invalidModel(ctx.file, "PCA.explained_variance_ does not match components_");
    scale = Float64Array.from(ev, Math.sqrt);
    if (projectFirst) for (let c = 0; c < k; c++) if (scale[c] < Number.EPSILON) scale[c] = Number.EPSILON;
  }
  // From 1.5 the mean's projection is precomputed once and subtracted after projecting each row.
  const meanProj = new Float64Array(k);
  if (projectFirst) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += mean[j] * comp.data[c * n + j];
      meanProj[c] = s;
    }
  }
  const w = comp.data;
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? n,
    featureNamesIn: names,
    transform(x) {
      const d = dense(x);
      if (d.cols !== n) throw Errors.invalidModel(ctx.file, `PCA fitted on ${n} features got ${d.cols}`);
      const centred = new Float64Array(n);
      const out = new Float64Array(d.rows * k);
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < n; j++)
          centred[j] = projectFirst ? d.data[r * n + j] : d.data[r * n + j] - mean[j];
        for (let c = 0; c < k; c++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += centred[j] * w[c * n + j];
          if (projectFirst) s -= meanProj[c];
          out[r * k + c] = scale ? s / scale[c] : s;
        }
      }
      return { kind: "dense", rows: d.rows, cols: k, data: out };
    },
  };
}
