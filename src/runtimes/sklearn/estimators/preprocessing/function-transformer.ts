/**
 * @module Builder of FunctionTransformer when it is the identity (`func=None`), as scikit-learn ≥ 1.5
 * stores a ColumnTransformer's `remainder="passthrough"`. Any Python function is refused: its code is
 * not in the file. Ref: sklearn `preprocessing/_function_transformer.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, isObject } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** A name for a pickled callable, for the refusal message. */
function callableName(f: PyValue): string {
  if (isObject(f)) return `${f.module}.${f.name}`;
  return typeof f === "string" ? f : "a Python function";
}

/**
 * `functools.partial(sklearn.utils.validation.check_array, dtype=float64, …)`: validation that returns
 * numeric data as it is, which HistGradientBoosting's preprocessor applies to its numeric columns.
 */
function isCheckArray(f: PyValue): boolean {
  if (!isObject(f) || f.module !== "functools" || f.name !== "partial") return false;
  const target = f.args[0];
  return (
    typeof target === "object" &&
    target !== null &&
    "kind" in target &&
    target.kind === "global" &&
    target.module === "sklearn.utils.validation" &&
    target.name === "check_array"
  );
}

/** FunctionTransformer with `func=None` (identity); anything else is unsupported. */
export function functionTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const func = attr(o, "func");
  if (func !== undefined && func !== null && !isCheckArray(func))
    throw Errors.unsupportedModel(ctx.file, `FunctionTransformer with func=${callableName(func)}`);
  const { names, nFeatures } = fittedInputs(o);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    allowsMissing: true,
    transform: (x) => x,
  };
}
