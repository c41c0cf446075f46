/**
 * @module The `lightgbm` runtime: LightGBM text models (`save_model`, CLI `output_model`) for gbdt,
 * dart, goss and rf boosting, with the schema taken from `feature_names` and `feature_infos`.
 */

import { Errors } from "../../errors.ts";
import { lastTable } from "../common/last-table.ts";
import { withModelErrors } from "../common/model-bounds.ts";
import { withShared } from "../common/shared-model.ts";
import { withSyncScoring } from "../common/sync-scoring.ts";
import { typicalFromThresholds } from "../common/typical-values.ts";
import { runtimeOf } from "../descriptor.ts";
import { loadLimits, loadsInline } from "../load-limits.ts";
import { checkDecodeBudget } from "../loading/decode-budget.ts";
import { runLoaderWorker, sharedCopy, siblingModule } from "../loading/loader-worker-host.ts";
import type {
  FeatureSpec,
  FeatureTable,
  Label,
  Matrix,
  PredictOutput,
  Runtime,
  RuntimeModel,
} from "../runtime.ts";
import { lightgbmDescriptor } from "./descriptor.ts";
import { lightgbmExplainer } from "./explain.ts";
import {
  bindLightgbm,
  type LightgbmLayout,
  type LightgbmModel,
  type LightgbmParsed,
  layoutLightgbm,
  readLightgbm,
} from "./model.ts";

const matrix = (data: Float64Array, rows: number, cols: number): Matrix => ({ rows, cols, data });

function specsOf(m: LightgbmModel, n: number): FeatureSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const name = m.featureNames[i] ?? `Column_${i}`;
    const info = m.featureInfos[i];
    if (info && "categories" in info) {
      return {
        name,
        dtype: "category",
        categories: info.categories,
        // LightGBM routes any other category (unseen, negative, missing) to the right child.
        allowUnknownCategories: true,
        nullable: true,
        description: "categorical (integer codes seen in training listed; others are valid)",
      } satisfies FeatureSpec;
    }
    return {
      name,
      dtype: "float",
      nullable: true,
      ...(info && "min" in info ? { description: `training range [${info.min}, ${info.max}]` } : {}),
    } satisfies FeatureSpec;
  });
}

/** Wraps a parsed model as a runtime model. */
function lightgbmRuntimeModel(m: LightgbmModel, nFeatures: number): RuntimeModel {
  const binary = m.transform === "sigmoid";
  const multiclass = m.transform === "softmax" || m.transform === "ova";
  const classifier = binary || multiclass;
  const k = m.perIteration;
  const classes: Label[] = binary ? [0, 1] : Array.from({ length: k }, (_, i) => i);
  // `convert` copies, so labels and probabilities of one request share one evaluation of the trees.
  const raw = lastTable((t: FeatureTable) => m.raw(t.numeric, t.rows, t.columns.length));
  const inputs = specsOf(m, nFeatures);
  const typicalValues = typicalFromThresholds(m.splitThresholds, inputs);
  const predict = (t: FeatureTable): PredictOutput => {
    const out = m.convert(raw(t), t.rows);
    if (!classifier) return { kind: "values", values: matrix(out, t.rows, k) };
    const labels: Label[] = new Array(t.rows);
    for (let r = 0; r < t.rows; r++) {
      if (binary) labels[r] = out[r] > 0.5 ? 1 : 0;
      else {
        let best = 0;
        for (let j = 1; j < k; j++) if (out[r * k + j] > out[r * k + best]) best = j;
        labels[r] = best;
      }
    }
    return { kind: "labels", labels };
  };
  const proba = (t: FeatureTable): Matrix => {
    const out = m.convert(raw(t), t.rows);
    if (!binary) return matrix(out, t.rows, k);
    const p = new Float64Array(t.rows * 2);
    for (let r = 0; r < t.rows; r++) {
      p[2 * r] = 1 - out[r];
      p[2 * r + 1] = out[r];
    }
    return matrix(p, t.rows, 2);
  };
  const model: RuntimeModel = {
    ...(typicalValues ? { typicalValues } : {}),
    signature: {
      inputs,
      output: classifier ? { task: "classification", classes } : { task: "regression", targets: k },
      capabilities: {
        predict: true,
        predictProba: classifier,
        decisionFunction: false,
        transform: false,
        rawScore: true,
      },
    },
    details: {
      format: "lightgbm-text",
      framework: "lightgbm",
      frameworkVersion: m.version,
      modelType: m.boosting,
      metadata: { objective: m.objective, trees: m.numTrees, treesPerIteration: k, features: nFeatures },
    },
    async predict(t) {
      return predict(t);
    },
    predictProba: classifier ? async (t) => proba(t) : undefined,
    async rawScore(t) {
      return matrix(raw(t).slice(), t.rows, k);
    },
    explain: lightgbmExplainer(m, nFeatures, classifier && !binary ? classes : [binary ? 1 : 0]),
  };
  return withSyncScoring(model, { predict, ...(classifier ? { predictProba: proba } : {}) });
}

/** The text's lines and numbers, counted from its spaces and line breaks: an upper bound. */
function textTokens(text: string): number {
  let tokens = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a) tokens++;
  }
  return tokens;
}

/** Reads and checks model text (what the loader worker does); plain data for `postMessage`. */
export function readLightgbmText(text: string, fileName: string): LightgbmParsed {
  checkDecodeBudget(text.length, () => textTokens(text), fileName, "text");
  return withModelErrors(fileName, () => readLightgbm(text));
}

/** Lays a read model out in flat arrays, with its checks (what the loader worker does next). */
export function lightgbmLayout(p: LightgbmParsed, fileName: string): LightgbmLayout {
  return withModelErrors(fileName, () => layoutLightgbm(p));
}

/** The runtime model of a laid-out model (binding its functions is cheap). */
export function lightgbmModelFromLayout(layout: LightgbmLayout, fileName: string): RuntimeModel {
  return withModelErrors(fileName, () => lightgbmRuntimeModel(bindLightgbm(layout), layout.parsed.nFeatures));
}

/** Parses model text into a runtime model (also used for boosters inside pickled LGBM estimators). */
export function lightgbmModelFromText(text: string, fileName: string): RuntimeModel {
  return lightgbmModelFromLayout(lightgbmLayout(readLightgbmText(text, fileName), fileName), fileName);
}

/** The LightGBM runtime. */
export const lightgbmRuntime: Runtime = /* @__PURE__ */ runtimeOf(
  lightgbmDescriptor,
  async (source, options) => {
    if (source.bytes.byteLength === 0) throw Errors.invalidModel(source.fileName, "the file is empty");
    if (loadsInline(options))
      return lightgbmModelFromText(new TextDecoder().decode(source.bytes), source.fileName);
    // Reading the text (lines split, every number parsed, every tree checked) and the flat layout run in
    // the loader worker, under the load budgets; the main thread only binds functions to the arrays.
    const layout = await runLoaderWorker<LightgbmLayout>(
      siblingModule(import.meta.url, "parse-worker"),
      { bytes: sharedCopy(source.bytes), fileName: source.fileName },
      source.fileName,
    );
    const model = lightgbmModelFromLayout(layout, source.fileName);
    if (!loadLimits().sharedMemory) return model;
    // The layout's arrays are in shared memory: the pool's threads bind the same bytes.
    const data: LightgbmPoolData = { layout, fileName: source.fileName };
    return withShared(model, siblingModule(import.meta.url, "pool-bind"), data);
  },
);

/** What a thread of the inference pool receives to bind a LightGBM model (see pool-bind.ts). */
export interface LightgbmPoolData {
  readonly layout: LightgbmLayout;
  readonly fileName: string;
}
