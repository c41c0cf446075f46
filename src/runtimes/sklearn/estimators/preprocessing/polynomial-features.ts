/**
 * @module Builder of PolynomialFeatures over dense input, reproducing scikit-learn's column order and its
 * product order: each degree-d column is a degree-(d-1) column times one input feature, exactly as
 * sklearn's dense `transform` fills its output, so results match bit for bit.
 * Ref: sklearn `preprocessing/_polynomial.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkEstimator } from "../../estimator.ts";
import { attr, floats, num } from "../../py-access.ts";
import { fittedInputs } from "./scalers.ts";

/** One output column: the column it multiplies (-1 for an input feature) and by which feature. */
interface Step {
  readonly from: number;
  readonly feature: number;
}

/** The (min, max) degree: `degree` is an int or, since 1.0, a (min, max) tuple. */
function degrees(o: PyObject): [number, number] {
  const d = attr(o, "degree");
  const minA = attr(o, "_min_degree");
  const maxA = attr(o, "_max_degree");
  if (minA !== undefined && maxA !== undefined)
    return [num(minA, "PolynomialFeatures._min_degree"), num(maxA, "PolynomialFeatures._max_degree")];
  if (typeof d === "number" || typeof d === "bigint") return [0, Number(d)];
  const pair = floats(d, "PolynomialFeatures.degree").data;
  return [pair[0], pair[1]];
}

/** PolynomialFeatures (dense input; min_degree up to 1). */
export function polynomialFeatures(o: PyObject, ctx: BuildContext): SkEstimator {
  const { names, nFeatures } = fittedInputs(o);
  if (nFeatures === undefined)
    throw Errors.invalidModel(ctx.file, "PolynomialFeatures.n_features_in_ is missing");
  const [minDeg, maxDeg] = degrees(o);
  if (minDeg > 1) throw Errors.unsupportedModel(ctx.file, `PolynomialFeatures with min degree ${minDeg}`);
  if (!Number.isInteger(maxDeg) || maxDeg < 0 || maxDeg > 10)
    throw Errors.unsupportedModel(ctx.file, `PolynomialFeatures with degree=${maxDeg}`);
  const bias = attr(o, "include_bias") !== false;
  const interactionOnly = attr(o, "interaction_only") === true;
  const n = nFeatures;
  // Plan the columns once, following sklearn's `index` bookkeeping (positions exclude the bias column).
  const steps: Step[] = [];
  if (maxDeg >= 1) for (let f = 0; f < n; f++) steps.push({ from: -1, feature: f });
  let index = Array.from({ length: n + 1 }, (_, i) => i);
  for (let deg = 2; deg <= maxDeg; deg++) {
    const next: number[] = [];
    const end = index[index.length - 1];
    for (let f = 0; f < n; f++) {
      let start = index[f];
      next.push(steps.length);
      if (interactionOnly) start += index[f + 1] - index[f];
      if (end <= start) break;
      for (let c = start; c < end; c++) steps.push({ from: c, feature: f });
    }
    next.push(steps.length);
    index = next;
  }
  const width = steps.length + (bias ? 1 : 0);
  const expected = attr(o, "n_output_features_");
  if (expected !== undefined && num(expected, "PolynomialFeatures.n_output_features_") !== width)
    throw Errors.invalidModel(ctx.file, "PolynomialFeatures.n_output_features_ disagrees with its degree");
  const from = Int32Array.from(steps, (s) => s.from);
  const feature = Int32Array.from(steps, (s) => s.feature);
  const off = bias ? 1 : 0;
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: n,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      if (d.cols !== n)
        throw Errors.invalidModel(ctx.file, `PolynomialFeatures fitted on ${n} features got ${d.cols}`);
      const out = new Float64Array(d.rows * width);
      for (let r = 0; r < d.rows; r++) {
        const dst = r * width;
        if (bias) out[dst] = 1;
        for (let c = 0; c < from.length; c++) {
          const v = d.data[r * n + feature[c]];
          out[dst + off + c] = from[c] < 0 ? v : out[dst + off + from[c]] * v;
        }
      }
      return { kind: "dense", rows: d.rows, cols: width, data: out };
    },
  };
}
