/**
 * @module Files that hold a container rather than one estimator: a dict, list or tuple such as
 * `{"model": pipeline, "label_encoder": le, "features": [...]}` or `(vectorizer, model)`. The rule:
 * - exactly one entry can predict (a classifier, regressor, clusterer or outlier detector): it is served;
 *   two or more are refused (which one is meant cannot be known);
 * - a LabelEncoder is a target encoder: a classifier's integer labels `0…k-1` are decoded through its
 *   `classes_` (two LabelEncoders are refused, the target's cannot be told apart);
 * - every other transformer is a preprocessing step, applied in container order before the model;
 * - with no model, a single transformer is served as it would be alone;
 * - entries that are not scikit-learn objects (names, lists, numbers) are metadata and ignored;
 * - a pickled XGBoost/LightGBM wrapper with at most a LabelEncoder beside it is served by its booster
 *   runtime, its integer classes named by the encoder.
 * Nested containers are not searched.
 */

import { Errors } from "../../errors.ts";
import type { PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import type { Label, Matrix } from "../runtime.ts";
import type { BuildContext, SkData, SkEstimator } from "./estimator.ts";
import { labelEncoderClasses } from "./estimators/preprocessing/label-encoder.ts";
import { isObject } from "./py-access.ts";

/** Whether the top value of a file is a dict, list or tuple. */
export function isContainer(v: PyValue): boolean {
  if (Array.isArray(v)) return true;
  return typeof v === "object" && v !== null && "kind" in v && (v.kind === "dict" || v.kind === "tuple");
}

/** The entries of a container with a name for messages (dict key or index). */
function entries(v: PyValue): [string, PyValue][] {
  if (Array.isArray(v)) return v.map((x, i) => [`[${i}]`, x]);
  if (typeof v === "object" && v !== null && "kind" in v) {
    if (v.kind === "tuple") return v.items.map((x, i) => [`[${i}]`, x]);
    if (v.kind === "dict") return [...v.map].map(([k, x]) => [`[${JSON.stringify(String(k))}]`, x]);
  }
  return [];
}

/** Whether an unpickled object is a scikit-learn (or wrapped booster) estimator rather than inert data. */
function isEstimatorObject(v: PyValue): v is PyObject {
  return isObject(v) && /^(sklearn|xgboost|lightgbm|imblearn)(\.|$)/.test(v.module);
}

/**
 * A container whose one model is a pickled XGBoost/LightGBM wrapper, with at most a LabelEncoder beside it
 * (and metadata): the wrapper and the encoder's classes, else undefined. XGBoost ≥ 1.6 needs labels
 * 0…k−1, so saving the encoder next to the model is the usual way to keep the names.
 */
export function containerBooster(value: PyValue): { booster: PyObject; encoder?: PyObject } | undefined {
  const found = entries(value)
    .map(([, v]) => v)
    .filter((v): v is PyObject => isEstimatorObject(v));
  const boosters = found.filter((o) => /^(XGB|LGBM)(Classifier|Regressor)$/.test(o.name));
  const encoders = found.filter((o) => o.name === "LabelEncoder");
  if (boosters.length !== 1 || encoders.length > 1 || found.length !== 1 + encoders.length) return undefined;
  return { booster: boosters[0], encoder: encoders[0] };
}

/** Builds the estimator a container file serves, following the rule above. */
export function containerEstimator(value: PyValue, ctx: BuildContext): SkEstimator {
  const found = entries(value).filter(([, v]) => isEstimatorObject(v)) as [string, PyObject][];
  if (found.length === 0)
    throw Errors.invalidModel(
      ctx.file,
      `the file holds a container without any scikit-learn estimator (entries found: ${
        entries(value)
          .map(([k]) => k)
          .slice(0, 20)
          .join(", ") || "none"
      })`,
    );
  const encoders = found.filter(([, o]) => o.name === "LabelEncoder");
  const others = found
    .filter(([, o]) => o.name !== "LabelEncoder")
    .map(([k, o]) => [k, ctx.build(o, k)] as const);
  const models = others.filter(([, e]) => e.role !== "transformer");
  const steps = others.filter(([, e]) => e.role === "transformer").map(([, e]) => e);
  if (models.length > 1)
    throw Errors.unsupportedModel(
      ctx.file,
      `a container with several models (${models.map(([k, e]) => `${k} ${e.className}`).join(", ")}); save the one to serve`,
    );
  if (encoders.length > 1)
    throw Errors.unsupportedModel(
      ctx.file,
      `a container with several LabelEncoders (${encoders.map(([k]) => k).join(", ")}: which one encodes the target is unknown)`,
    );
  if (models.length === 0) {
    if (others.length === 1) return others[0][1];
    if (others.length === 0 && encoders.length === 1) return ctx.build(encoders[0][1], encoders[0][0]);
    throw Errors.unsupportedModel(
      ctx.file,
      `a container of transformers without a model (${others.map(([k, e]) => `${k} ${e.className}`).join(", ")})`,
    );
  }
  const model = models[0][1];
  for (const s of steps)
    if (!s.transform)
      throw Errors.unsupportedModel(ctx.file, `${s.className} in a container cannot transform`);
  const through = (x: SkData): SkData => steps.reduce((d, s) => s.transform!(d), x);
  const decode = encoders.length === 1 ? decoder(encoders[0][1], model, ctx) : undefined;
  const first = steps[0] ?? model;
  const classes = decode ? model.classes?.map(decode) : model.classes;
  return {
    className: model.className,
    role: model.role,
    nFeaturesIn: first.nFeaturesIn,
    featureNamesIn: first.featureNamesIn,
    classes,
    nOutputs: model.nOutputs,
    allowsMissing: steps.length === 0 ? model.allowsMissing : steps[0].allowsMissing,
    predictIsArgmaxProba: model.predictIsArgmaxProba,
    inputSpecs: first.inputSpecs ? () => first.inputSpecs!() : undefined,
    ...(model.predict
      ? {
          predict: (x: SkData) => {
            const out = model.predict!(through(x));
            return decode && Array.isArray(out) ? (out as Label[]).map(decode) : out;
          },
        }
      : {}),
    ...(model.predictProba ? { predictProba: (x: SkData): Matrix => model.predictProba!(through(x)) } : {}),
    ...(model.decisionFunction
      ? { decisionFunction: (x: SkData): Matrix => model.decisionFunction!(through(x)) }
      : {}),
  };
}

/** Maps a classifier's integer labels through a LabelEncoder's classes_, when they are its codes. */
function decoder(le: PyObject, model: SkEstimator, ctx: BuildContext): ((l: Label) => Label) | undefined {
  const names = labelEncoderClasses(le);
  const classes = model.classes;
  // Only a classifier whose labels are the encoder's codes 0…k-1 is decoded; anything else (a regressor,
  // string labels) is left as the model answers, since the encoder then encodes something else.
  if (model.role !== "classifier" || !classes) return undefined;
  const codes = classes.every(
    (c) => typeof c === "number" && Number.isInteger(c) && c >= 0 && c < names.length,
  );
  if (!codes) {
    if (classes.every((c) => typeof c === "number"))
      throw Errors.invalidModel(
        ctx.file,
        `the container's LabelEncoder has ${names.length} classes but the model predicts ${classes.join(", ")}`,
      );
    return undefined;
  }
  return (l) => names[l as number] ?? l;
}
