/**
 * @module Builder of TransformedTargetRegressor: `regressor_` predicts in the transformed target space and
 * `transformer_.inverse_transform` maps the predictions back (a fitted scaler, or a FunctionTransformer
 * whose `inverse_func` is None or a numpy ufunc such as `np.expm1`), reshaped to a column first as
 * scikit-learn does. Ref: sklearn `compose/_target.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import type { BuildContext, DenseData, SkEstimator } from "../../estimator.ts";
import { attr, isObject, need } from "../../py-access.ts";

/** TransformedTargetRegressor over a fitted regressor and target transformer. */
export function transformedTargetRegressor(o: PyObject, ctx: BuildContext): SkEstimator {
  const reg = need(o, "regressor_");
  if (!isObject(reg))
    throw Errors.invalidModel(ctx.file, "TransformedTargetRegressor.regressor_ is not an estimator");
  const regressor = ctx.build(reg, `${o.name}.regressor_`);
  if (!regressor.predict) throw Errors.unsupportedModel(ctx.file, `${regressor.className} cannot predict`);
  const tr = attr(o, "transformer_");
  const transformer = isObject(tr) ? ctx.build(tr, `${o.name}.transformer_`) : undefined;
  if (transformer && !transformer.inverseTransform)
    throw Errors.unsupportedModel(
      ctx.file,
      `TransformedTargetRegressor with a ${transformer.className} target transformer (no inverse transform)`,
    );
  return {
    className: o.name,
    role: "regressor",
    nFeaturesIn: regressor.nFeaturesIn,
    featureNamesIn: regressor.featureNamesIn,
    nOutputs: regressor.nOutputs,
    allowsMissing: regressor.allowsMissing,
    inputSpecs: regressor.inputSpecs ? () => regressor.inputSpecs!() : undefined,
    predict(x) {
      const p = regressor.predict!(x);
      if (Array.isArray(p))
        throw Errors.unsupportedModel(ctx.file, "a TransformedTargetRegressor over a classifier");
      const d = p as DenseData;
      return transformer ? transformer.inverseTransform!(d) : d;
    },
  };
}
