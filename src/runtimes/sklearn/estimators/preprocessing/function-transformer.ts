/**
 * @module Builder of FunctionTransformer when `func` is None (the identity, as scikit-learn ≥ 1.5 stores a
 * ColumnTransformer's `remainder="passthrough"`) or one of numpy's element-wise ufuncs (`np.log1p`,
 * `np.expm1`, `np.log`, `np.exp`, `np.sqrt`, `np.square`), which pickle as a name; `inverse_func` likewise
 * gives the inverse transform (TransformedTargetRegressor). Any Python function is refused: its code is
 * not in the file. Ref: sklearn `preprocessing/_function_transformer.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, isObject } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** The numpy ufuncs a FunctionTransformer may name, with their JavaScript equivalents. */
const NUMPY_UFUNCS: Readonly<Record<string, (v: number) => number>> = {
  log: Math.log,
  log1p: Math.log1p,
  log2: Math.log2,
  log10: Math.log10,
  exp: Math.exp,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  square: (v) => v * v,
  abs: Math.abs,
  absolute: Math.abs,
};

/** A name for a pickled callable, for the refusal message. */
function callableName(f: PyValue): string {
  if (isObject(f) || (typeof f === "object" && f !== null && "kind" in f && f.kind === "global"))
    return `${f.module}.${f.name}`;
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

/** The element-wise function a pickled `func`/`inverse_func` names; undefined for None (identity). */
function elementwise(
  f: PyValue | undefined,
  what: string,
  ctx: BuildContext,
): ((v: number) => number) | undefined {
  if (f === undefined || f === null || isCheckArray(f)) return undefined;
  if (
    typeof f === "object" &&
    "kind" in f &&
    f.kind === "global" &&
    (f.module === "numpy" || f.module.startsWith("numpy.core")) &&
    Object.hasOwn(NUMPY_UFUNCS, f.name)
  )
    return NUMPY_UFUNCS[f.name];
  throw Errors.unsupportedModel(ctx.file, `FunctionTransformer with ${what}=${callableName(f)}`);
}

function mapped(fn: ((v: number) => number) | undefined): (x: SkData) => SkData {
  if (!fn) return (x) => x;
  return (x) => {
    const d = dense(x);
    const out = new Float64Array(d.data.length);
    for (let i = 0; i < out.length; i++) out[i] = fn(d.data[i]);
    return { kind: "dense", rows: d.rows, cols: d.cols, data: out };
  };
}

/** FunctionTransformer with `func`/`inverse_func` None or a numpy ufunc, without `kw_args`. */
export function functionTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  for (const key of ["kw_args", "inv_kw_args"]) {
    const v = attr(o, key);
    if (v !== undefined && v !== null)
      throw Errors.unsupportedModel(ctx.file, `FunctionTransformer with ${key}`);
  }
  const fn = elementwise(attr(o, "func"), "func", ctx);
  const inv = elementwise(attr(o, "inverse_func"), "inverse_func", ctx);
  const { names, nFeatures } = fittedInputs(o);
  const transform = mapped(fn);
  const inverse = mapped(inv);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    allowsMissing: true,
    transform,
    inverseTransform: (x) => dense(inverse(x)),
  };
}
