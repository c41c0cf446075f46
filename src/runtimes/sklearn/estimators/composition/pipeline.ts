/**
 * @module Builder of `Pipeline`: transforms applied in step order, the final step's methods exposed,
 * the input schema taken from the first step (or the step after a leading imputer). imbalanced-learn's
 * `Pipeline` (the same class, resamplers allowed as steps) is built here too, its resamplers skipped.
 * Ref: sklearn `pipeline.py`; imblearn `pipeline.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec } from "../../../runtime.ts";
import { checkStepWidths } from "../../checks.ts";
import { explainThrough } from "../../column-sources.ts";
import type { BuildContext, SkData, SkEstimator } from "../../estimator.ts";
import { attr, isObject, need, strings } from "../../py-access.ts";
import { fillsMissing, markFillsMissing } from "../preprocessing/fills-missing.ts";
import { isResampler } from "./resamplers.ts";

/** Index of the last step that fills missing values, or -1. */
function lastImputer(steps: readonly SkEstimator[]): number {
  for (let i = steps.length - 1; i >= 0; i--) if (fillsMissing(steps[i])) return i;
  return -1;
}

/**
 * A Pipeline's input schema: its first step's, or — when the first step fills missing values without a
 * schema of its own (an imputer before a OneHotEncoder) — the next step's, made nullable.
 */
function pipelineSpecs(
  built: readonly SkEstimator[],
): (() => readonly FeatureSpec[] | undefined) | undefined {
  const [first, second] = built;
  if (first.inputSpecs) return () => first.inputSpecs!();
  if (second?.inputSpecs && fillsMissing(first))
    return () => second.inputSpecs!()?.map((f) => ({ ...f, nullable: true }));
  return undefined;
}

/** Builder of `Pipeline`. */
export function pipeline(o: PyObject, ctx: BuildContext): SkEstimator {
  const steps = need(o, "steps");
  if (!Array.isArray(steps) || steps.length === 0)
    throw Errors.invalidModel(ctx.file, "Pipeline.steps is not a list of steps");
  const built: SkEstimator[] = [];
  steps.forEach((s: PyValue, i) => {
    const items =
      typeof s === "object" && s !== null && "kind" in s && s.kind === "tuple" ? s.items : undefined;
    const est = items?.[1];
    if (est === "passthrough" || est === null) return;
    if (!isObject(est)) throw Errors.invalidModel(ctx.file, `Pipeline step ${i} is not an estimator`);
    // imbalanced-learn's Pipeline resamples in fit only: predicting runs the other steps.
    if (isResampler(est)) return;
    built.push(ctx.build(est, `${o.name}.steps[${i}]`));
  });
  if (built.length === 0)
    throw Errors.unsupportedModel(ctx.file, "a Pipeline whose steps are all passthrough");
  checkStepWidths(built, o.name);
  const last = built[built.length - 1];
  const head = built.slice(0, -1);
  const through = (x: SkData): SkData => {
    let d = x;
    for (const t of head) {
      if (!t.transform)
        throw Errors.unsupportedModel(ctx.file, `${t.className} inside a Pipeline cannot transform`);
      d = t.transform(d);
    }
    return d;
  };
  const first = built[0];
  const imputer = lastImputer(built);
  const result: SkEstimator = {
    className: o.name,
    role: last.role,
    nFeaturesIn: first.nFeaturesIn,
    featureNamesIn: strings(attr(o, "feature_names_in_")) ?? first.featureNamesIn,
    classes: last.classes,
    nOutputs: last.nOutputs,
    ...(last.outputClasses ? { outputClasses: last.outputClasses } : {}),
    ...(last.outputNames ? { outputNames: last.outputNames } : {}),
    // Missing values pass when every step up to the last imputer copes with them (an imputer's
    // output holds none, so what follows it does not matter).
    allowsMissing: built.slice(0, imputer + 1 || built.length).every((b) => b.allowsMissing === true),
    ...(last.predict ? { predict: (x: SkData) => last.predict!(through(x)) } : {}),
    ...(last.predictLabelRows ? { predictLabelRows: (x: SkData) => last.predictLabelRows!(through(x)) } : {}),
    ...(last.predictProba ? { predictProba: (x: SkData) => last.predictProba!(through(x)) } : {}),
    ...(last.decisionFunction ? { decisionFunction: (x: SkData) => last.decisionFunction!(through(x)) } : {}),
    ...(last.transform ? { transform: (x: SkData) => last.transform!(through(x)) } : {}),
    ...(last.explain ? { explain: (x: SkData) => explainThrough(head, last, x) } : {}),
    inputSpecs: pipelineSpecs(built),
    ...(first.trainingMoments ? { trainingMoments: () => first.trainingMoments!() } : {}),
    ...(last.predictIsArgmaxProba ? { predictIsArgmaxProba: true } : {}),
  };
  // A pipeline that copes with NaN up to an imputer hands on no missing value.
  return imputer >= 0 && result.allowsMissing ? markFillsMissing(result) : result;
}
