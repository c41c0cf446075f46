/**
 * @module Builder of PowerTransformer: per feature its fitted `lambdas_`, then `_scaler` (a StandardScaler)
 * when `standardize`. Yeo-Johnson as the file's version computes it: `((x + 1)^λ − 1)/λ` and
 * `−((1 − x)^(2−λ) − 1)/(2 − λ)` with `np.power` before scikit-learn 1.6, scipy's `yeojohnson`
 * (`expm1(λ·log1p(x))/λ`, the same for negatives) from 1.6; log1p forms at λ = 0 / 2. Box-Cox is scipy's
 * `boxcox`, `expm1(λ·log x)/λ` (`log x` at λ = 0), for positive inputs only. NaN passes through.
 * Ref: sklearn `preprocessing/_data.py`, scipy `stats/_morestats.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { DataError, dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, need, str, versionAtLeast } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

const EPS = 2.220446049250313e-16;

function yeoJohnson(viaExpm1: boolean): (x: number, l: number) => number {
  return (x, l) => {
    if (x >= 0) {
      if (Math.abs(l) < EPS) return Math.log1p(x);
      return viaExpm1 ? Math.expm1(l * Math.log1p(x)) / l : ((x + 1) ** l - 1) / l;
    }
    if (Math.abs(l - 2) > EPS)
      return viaExpm1
        ? -Math.expm1((2 - l) * Math.log1p(-x)) / (2 - l)
        : -((-x + 1) ** (2 - l) - 1) / (2 - l);
    return -Math.log1p(-x);
  };
}

function boxCox(x: number, l: number): number {
  if (Number.isNaN(x)) return x;
  if (!(x > 0))
    throw new DataError("the Box-Cox transformation can only be applied to strictly positive data");
  return Math.abs(l) < 1e-19 ? Math.log(x) : Math.expm1(l * Math.log(x)) / l;
}

/** PowerTransformer ('yeo-johnson' or 'box-cox'), with its standardizing scaler. */
export function powerTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const method = str(attr(o, "method")) ?? "yeo-johnson";
  if (method !== "yeo-johnson" && method !== "box-cox")
    throw Errors.unsupportedModel(ctx.file, `PowerTransformer with method=${method}`);
  const lambdas = floats(need(o, "lambdas_"), "PowerTransformer.lambdas_").data;
  const f = method === "box-cox" ? boxCox : yeoJohnson(versionAtLeast(ctx.sklearnVersion, 1, 6));
  const sc = attr(o, "_scaler");
  const scaler =
    attr(o, "standardize") !== false && isObject(sc) ? ctx.build(sc, `${o.name}._scaler`) : undefined;
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures ?? lambdas.length,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      if (d.cols !== lambdas.length)
        throw new DataError(`PowerTransformer expects ${lambdas.length} features, got ${d.cols}`);
      const out = new Float64Array(d.data.length);
      for (let i = 0; i < out.length; i++) out[i] = f(d.data[i], lambdas[i % d.cols]);
      const t = { kind: "dense" as const, rows: d.rows, cols: d.cols, data: out };
      return scaler ? scaler.transform!(t) : t;
    },
  };
}
