/**
 * @module Builders of StandardScaler, MinMaxScaler and `Pipeline`, and the table of every preprocessing
 * builder (scalers, imputer, PCA, polynomial features in their own files). Pipeline: transforms applied in step order, the final step's
 * methods exposed, the input schema taken from the first step. Ref: sklearn `preprocessing/_data.py`,
 * `pipeline.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec } from "../../../runtime.ts";
import { checkStepWidths, checkWidth } from "../../checks.ts";
import { explainThrough } from "../../column-sources.ts";
import { dense } from "../../data.ts";
import type { BuildContext, BuilderTable, SkData, SkEstimator } from "../../estimator.ts";
import { attr, floats, isObject, need, strings } from "../../py-access.ts";
import { columnTransformer } from "./column-transformer.ts";
import { dictVectorizer } from "./dict-vectorizer.ts";
import { FEATURE_SELECTION_BUILDERS } from "./feature-selection.ts";
import { fillsMissing, markFillsMissing } from "./fills-missing.ts";
import { functionTransformer } from "./function-transformer.ts";
import { simpleImputer } from "./imputer.ts";
import { kbinsDiscretizer } from "./kbins-discretizer.ts";
import { labelEncoder } from "./label-encoder.ts";
import { missingIndicator } from "./missing-indicator.ts";
import { oneHotEncoder } from "./one-hot-encoder.ts";
import { ordinalEncoder } from "./ordinal-encoder.ts";
import { pca } from "./pca.ts";
import { polynomialFeatures } from "./polynomial-features.ts";
import { powerTransformer } from "./power-transformer.ts";
import { quantileTransformer } from "./quantile-transformer.ts";
import {
  columnwise,
  fittedInputs,
  maxAbsScaler,
  normalizer,
  optionalArray,
  robustScaler,
} from "./scalers.ts";
import { splineTransformer } from "./spline-transformer.ts";
import { targetEncoder } from "./target-encoder.ts";
import { countVectorizer, hashingVectorizer, tfidfTransformer, tfidfVectorizer } from "./text-vectorizers.ts";

function standardScaler(o: PyObject): SkEstimator {
  const est = columnwise(
    o,
    attr(o, "with_mean") === false ? undefined : optionalArray(o, "mean_"),
    attr(o, "with_std") === false ? undefined : optionalArray(o, "scale_"),
  );
  // mean_ and var_ are learned whatever with_mean/with_std say (unless both are off): the training moments.
  const mean = optionalArray(o, "mean_");
  const variance = optionalArray(o, "var_");
  if (!mean || !variance || mean.length !== variance.length) return est;
  return { ...est, trainingMoments: () => ({ mean, std: variance.map(Math.sqrt) }) };
}

function minMaxScaler(o: PyObject): SkEstimator {
  const scale = optionalArray(o, "scale_")!;
  const min = optionalArray(o, "min_")!;
  const clip = attr(o, "clip") === true;
  const range = floats(need(o, "feature_range"), "MinMaxScaler.feature_range").data;
  // sklearn: X * scale_ + min_, then optional clipping to feature_range.
  const { names, nFeatures } = fittedInputs(o);
  checkWidth(scale.length, nFeatures, o.name, "scale_");
  checkWidth(min.length, nFeatures, o.name, "min_");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: nFeatures,
    featureNamesIn: names,
    allowsMissing: true,
    transform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++) {
        for (let j = 0; j < d.cols; j++) {
          let v = d.data[r * d.cols + j] * scale[j];
          v += min[j];
          if (clip) v = Math.min(range[1], Math.max(range[0], v));
          out[r * d.cols + j] = v;
        }
      }
      return { kind: "dense", rows: d.rows, cols: d.cols, data: out };
    },
    // scikit-learn: X -= min_, X /= scale_ (clipping is not undone).
    inverseTransform(x) {
      const d = dense(x);
      const out = new Float64Array(d.data.length);
      for (let r = 0; r < d.rows; r++)
        for (let j = 0; j < d.cols; j++) out[r * d.cols + j] = (d.data[r * d.cols + j] - min[j]) / scale[j];
      return { kind: "dense", rows: d.rows, cols: d.cols, data: out };
    },
  };
}

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

function pipeline(o: PyObject, ctx: BuildContext): SkEstimator {
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
    // Missing values pass when every step up to the last imputer copes with them (an imputer's
    // output holds none, so what follows it does not matter).
    allowsMissing: built.slice(0, imputer + 1 || built.length).every((b) => b.allowsMissing === true),
    ...(last.predict ? { predict: (x: SkData) => last.predict!(through(x)) } : {}),
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

/** The preprocessing and composition builders. */
export const PREPROCESSING_BUILDERS: BuilderTable = {
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  MaxAbsScaler: maxAbsScaler,
  Normalizer: normalizer,
  SimpleImputer: simpleImputer,
  PCA: pca,
  PolynomialFeatures: polynomialFeatures,
  SplineTransformer: splineTransformer,
  OneHotEncoder: oneHotEncoder,
  OrdinalEncoder: ordinalEncoder,
  DictVectorizer: dictVectorizer,
  TargetEncoder: targetEncoder,
  ColumnTransformer: columnTransformer,
  FunctionTransformer: functionTransformer,
  CountVectorizer: countVectorizer,
  TfidfVectorizer: tfidfVectorizer,
  TfidfTransformer: tfidfTransformer,
  HashingVectorizer: hashingVectorizer,
  Pipeline: pipeline,
  KBinsDiscretizer: kbinsDiscretizer,
  MissingIndicator: missingIndicator,
  LabelEncoder: labelEncoder,
  QuantileTransformer: quantileTransformer,
  PowerTransformer: powerTransformer,
  ...FEATURE_SELECTION_BUILDERS,
};
