/**
 * @module Pickled `XGBClassifier`/`XGBRegressor` and `LGBMClassifier`/`LGBMRegressor` as estimators of a larger
 * scikit-learn model (a member of a voting, stacking, bagging or one-vs-rest ensemble, or a step anywhere in a
 * Pipeline): the booster inside is compiled by the xgboost or lightgbm runtime and scored synchronously through
 * it, so its answers are that runtime's (bit for bit as there); class indices become the wrapper's labels.
 * A wrapper at the top of a file, or last in a Pipeline, is served by the booster runtime directly.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { syncScoringOf } from "../../../common/sync-scoring.ts";
import type { FeatureTable, Label } from "../../../runtime.ts";
import { innerBooster } from "../../boosters.ts";
import { dense } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, labels, num, strings } from "../../py-access.ts";

/** A booster wrapper as a synchronous estimator. */
export function wrappedBooster(o: PyObject, ctx: BuildContext): SkEstimator {
  const model = innerBooster(o, ctx.file);
  const sync = syncScoringOf(model);
  if (!sync) throw Errors.unsupportedModel(ctx.file, `${o.name} inside another estimator`);
  const width = model.signature.inputs.length;
  const columns = model.signature.inputs.map((f) => f.name);
  const table = (x: SkData): FeatureTable => {
    const d = dense(x);
    if (d.cols !== width)
      throw Errors.invalidModel(ctx.file, `${o.name} takes ${width} features, it was given ${d.cols}`);
    return {
      rows: d.rows,
      columns,
      numeric: d.data,
      strings: columns.map(() => undefined),
      tensors: columns.map(() => undefined),
    };
  };
  const nIn = attr(o, "n_features_in_");
  const common = {
    className: o.name,
    nFeaturesIn: nIn === undefined || nIn === null ? width : num(nIn, `${o.name}.n_features_in_`),
    featureNamesIn: strings(attr(o, "feature_names_in_")),
  };
  if (model.signature.output.task !== "classification") {
    return {
      ...common,
      role: "regressor",
      nOutputs: model.signature.output.targets ?? 1,
      predict(x) {
        const out = sync.predict(table(x));
        if (out.kind !== "values")
          throw Errors.invalidModel(ctx.file, `${o.name} did not answer with values`);
        return { kind: "dense", rows: out.values.rows, cols: out.values.cols, data: out.values.data };
      },
    };
  }
  const own = model.signature.output.classes ?? [];
  const cls = attr(o, "_classes") ?? attr(o, "classes_");
  const wrapperClasses = cls === undefined || cls === null ? undefined : labels(cls, `${o.name}.classes_`);
  const classes: readonly Label[] =
    wrapperClasses && wrapperClasses.length === own.length ? wrapperClasses : own;
  return {
    ...common,
    role: "classifier",
    classes,
    predict(x) {
      const out = sync.predict(table(x));
      if (out.kind !== "labels") throw Errors.invalidModel(ctx.file, `${o.name} did not answer with labels`);
      return out.labels.map((l) => classes[Number(l)]);
    },
    ...(sync.predictProba ? { predictProba: (x: SkData) => sync.predictProba!(table(x)) } : {}),
  };
}
