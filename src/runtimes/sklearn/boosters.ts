/**
 * @module Pickled `XGBClassifier`/`XGBRegressor` and `LGBMClassifier`/`LGBMRegressor`: the booster
 * inside is handed to the xgboost or lightgbm runtime, with the wrapper's class labels kept.
 */

import { Errors } from "../../errors.ts";
import type { PyObject } from "../../formats/pickle/py-objects.ts";
import type { LightgbmLayout } from "../lightgbm/model.ts";
import { lightgbmLayout, lightgbmModelFromLayout, readLightgbmText } from "../lightgbm/runtime.ts";
import type { Label, PredictOutput, RuntimeModel } from "../runtime.ts";
import { layoutForTransfer, type XgboostWorkerResult, xgboostModelFromLayout } from "../xgboost/runtime.ts";
import { isRecord, prepared } from "./layouts.ts";
import { attr, isObject, labels, str } from "./py-access.ts";

/** Replaces class indices with the wrapper's own labels (or a LabelEncoder's classes). */
export function relabel(model: RuntimeModel, classes: readonly Label[] | undefined): RuntimeModel {
  if (!classes || model.signature.output.task !== "classification") return model;
  const n = model.signature.output.classes?.length ?? 0;
  if (classes.length !== n) return model;
  const same = classes.every((c, i) => c === i);
  if (same) return model;
  return {
    ...model,
    signature: { ...model.signature, output: { ...model.signature.output, classes } },
    async predict(t): Promise<PredictOutput> {
      const out = await model.predict(t);
      return out.kind === "labels"
        ? { kind: "labels", labels: out.labels.map((l) => classes[Number(l)]) }
        : out;
    },
    predictProba: model.predictProba ? (t) => model.predictProba!(t) : undefined,
    rawScore: model.rawScore ? (t) => model.rawScore!(t) : undefined,
    explain: model.explain
      ? async (t) => {
          const c = await model.explain!(t);
          // Outputs are class indices of the booster: named by the wrapper's labels.
          return { ...c, outputs: c.outputs.map((o) => (typeof o === "number" ? (classes[o] ?? o) : o)) };
        }
      : undefined,
  };
}

/**
 * The booster inside a pickled wrapper, compiled by its own runtime: decoded and laid out once, in the
 * loader worker when it runs (see layouts.ts), so that here only its functions are bound.
 */
export function innerBooster(o: PyObject, fileName: string): RuntimeModel {
  const booster = attr(o, "_Booster");
  if (!isObject(booster)) throw Errors.invalidModel(fileName, `${o.name} is not fitted (no _Booster)`);
  if (o.name.startsWith("XGB")) {
    const laid = prepared(
      booster,
      "xgboost-layout",
      () => {
        const handle = attr(booster, "handle");
        if (!(handle instanceof Uint8Array))
          throw Errors.unsupportedModel(fileName, `${o.name} whose booster is not a raw model buffer`);
        return layoutForTransfer(handle, fileName);
      },
      (v): v is XgboostWorkerResult => isRecord(v) && isRecord(v.layout) && typeof v.format === "string",
      true,
    );
    return xgboostModelFromLayout(laid.layout, laid.format, fileName);
  }
  const laid = prepared(
    booster,
    "lightgbm-layout",
    () => {
      const text = str(attr(booster, "_handle") ?? attr(booster, "handle"));
      if (!text) throw Errors.unsupportedModel(fileName, `${o.name} whose booster holds no model text`);
      return lightgbmLayout(readLightgbmText(text, fileName), fileName);
    },
    (v): v is LightgbmLayout => isRecord(v) && isRecord(v.parsed),
    true,
  );
  return lightgbmModelFromLayout(laid, fileName);
}

/** Builds the runtime model of a pickled booster wrapper. */
export function boosterWrapperModel(o: PyObject, fileName: string): RuntimeModel {
  const version = str(attr(o, "_sklearn_version"));
  const m = innerBooster(o, fileName);
  if (o.name.startsWith("XGB")) {
    const cls = attr(o, "classes_");
    return {
      ...relabel(m, cls === undefined ? undefined : labels(cls, `${o.name}.classes_`)),
      details: {
        ...m.details,
        modelType: o.name,
        ...(version ? { metadata: { ...m.details.metadata, sklearnVersion: version } } : {}),
      },
    };
  }
  const cls = attr(o, "_classes") ?? attr(o, "classes_");
  return {
    ...relabel(m, cls === undefined || cls === null ? undefined : labels(cls, `${o.name}._classes`)),
    details: { ...m.details, modelType: o.name },
  };
}
