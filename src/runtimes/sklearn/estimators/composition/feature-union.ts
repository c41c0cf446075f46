/**
 * @module Builder of FeatureUnion: every transformer in `transformer_list` sees the same input, outputs are
 * concatenated in list order, each multiplied by its `transformer_weights` entry when given; 'drop' (and
 * None in old files) is skipped, 'passthrough' copies the input. Output is dense. Ref: sklearn `pipeline.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import { dense, sideBySide } from "../../data.ts";
import type { BuildContext, DenseData, SkEstimator } from "../../estimator.ts";
import { attr, isObject, need, num, strings } from "../../py-access.ts";

interface Part {
  readonly est?: SkEstimator;
  readonly weight: number;
}

/** FeatureUnion with dense output. */
export function featureUnion(o: PyObject, ctx: BuildContext): SkEstimator {
  const list = need(o, "transformer_list");
  if (!Array.isArray(list))
    throw Errors.invalidModel(ctx.file, "FeatureUnion.transformer_list is not a list");
  const weightsAttr = attr(o, "transformer_weights");
  const weights =
    typeof weightsAttr === "object" &&
    weightsAttr !== null &&
    "kind" in weightsAttr &&
    weightsAttr.kind === "dict"
      ? weightsAttr.map
      : undefined;
  const parts: Part[] = [];
  list.forEach((t: PyValue, i) => {
    const items =
      typeof t === "object" && t !== null && "kind" in t && t.kind === "tuple" ? t.items : undefined;
    if (!items || items.length < 2)
      throw Errors.invalidModel(ctx.file, `FeatureUnion.transformer_list[${i}]`);
    const [name, est] = items;
    if (est === "drop" || est === null) return;
    const w = weights?.get(name as string);
    const weight =
      w === undefined || w === null ? 1 : num(w, `FeatureUnion.transformer_weights[${String(name)}]`);
    if (est === "passthrough") {
      parts.push({ weight });
      return;
    }
    if (!isObject(est))
      throw Errors.invalidModel(ctx.file, `FeatureUnion.transformer_list[${i}] is not an estimator`);
    const built = ctx.build(est, `${o.name}.transformer_list[${i}]`);
    if (!built.transform)
      throw Errors.unsupportedModel(ctx.file, `${built.className} inside a FeatureUnion cannot transform`);
    parts.push({ est: built, weight });
  });
  if (parts.length === 0)
    throw Errors.unsupportedModel(ctx.file, "a FeatureUnion whose transformers are all dropped");
  const first = parts.find((p) => p.est)?.est;
  const n = attr(o, "n_features_in_");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: n === undefined ? first?.nFeaturesIn : num(n, "FeatureUnion.n_features_in_"),
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? first?.featureNamesIn,
    allowsMissing: parts.every((p) => p.est === undefined || p.est.allowsMissing === true),
    inputSpecs: first?.inputSpecs ? () => first.inputSpecs!() : undefined,
    transform(x) {
      const outs: DenseData[] = parts.map((p) => {
        const d = dense(p.est ? p.est.transform!(x) : x);
        if (p.weight === 1) return d;
        const data = Float64Array.from(d.data, (v) => v * p.weight);
        return { ...d, data };
      });
      return sideBySide(outs, x.rows);
    },
  };
}
