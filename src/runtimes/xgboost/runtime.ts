/**
 * @module The `xgboost` runtime: models saved with `save_model` as JSON (`.json`) or UBJSON (`.ubj`),
 * XGBoost 1.x to 3.x, and boosters handed over from pickled `XGBClassifier`/`XGBRegressor` objects.
 * Outputs follow XGBoost's Python API bit for bit: `predict` and `predict_proba` as the scikit-learn
 * wrapper answers, raw margins as `output_margin=True`.
 */

import { Errors } from "../../errors.ts";
import { parseLenientJson } from "../../formats/json/lenient-json.ts";
import { decodeUbjson } from "../../formats/json/ubjson.ts";
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
import { xgboostDescriptor } from "./descriptor.ts";
import { xgboostExplainer } from "./explain.ts";
import { type Booster, type BoosterLayout, bindBooster, layoutBooster, softmaxRowsF32 } from "./model.ts";

/** JSON's values, counted from its separators and openers (`,` `[` `{`): an upper bound. */
function jsonValues(bytes: Uint8Array): number {
  let values = 1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x2c || b === 0x5b || b === 0x7b) values++;
  }
  return values;
}

/** Decodes JSON or UBJSON model bytes into the model object (unwrapping a pickle's `{Config, Model}`). */
function decode(bytes: Uint8Array, fileName: string): unknown {
  let i = 0;
  while (i < bytes.length && bytes[i] <= 0x20) i++;
  // JSON objects start with `{` then whitespace or a quote; UBJSON keys start with a length marker.
  const next = bytes[i + 1];
  const isJson =
    next === 0x22 || next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09 || next === 0x7d;
  if (isJson) checkDecodeBudget(bytes.byteLength, () => jsonValues(bytes), fileName, "JSON");
  let data: unknown;
  try {
    data = isJson ? parseLenientJson(new TextDecoder().decode(bytes)) : decodeUbjson(bytes.subarray(i));
  } catch (err) {
    throw Errors.invalidModel(fileName, `not a readable XGBoost model: ${(err as Error).message}`);
  }
  if (typeof data === "object" && data !== null && "Model" in data) return (data as { Model: unknown }).Model;
  return data;
}

function specsOf(b: Booster): FeatureSpec[] {
  return Array.from({ length: b.numFeature }, (_, i) => {
    const name = b.featureNames[i] ?? `f${i}`;
    const type = b.featureTypes[i];
    const names = b.categoryNames[i];
    if (type === "c" && names && names.length > 0) {
      return {
        name,
        dtype: "category",
        categories: names,
        // Unseen categories and raw category codes are valid XGBoost input (unseen ones go left).
        allowUnknownCategories: true,
        nullable: true,
        description: `categorical: one of the training categories or its code (0-${names.length - 1}); others are unseen`,
      } satisfies FeatureSpec;
    }
    return {
      name,
      dtype: "float",
      nullable: true,
      ...(type === "c"
        ? { description: "categorical: the category code" }
        : type
          ? { description: `XGBoost feature type ${type}` }
          : {}),
    } satisfies FeatureSpec;
  });
}

/** Builds the numeric input matrix, mapping category names to their codes. */
function matrixOf(b: Booster, table: FeatureTable): Float64Array {
  const width = table.columns.length;
  if (table.strings.every((s) => s === undefined)) return table.numeric;
  const x = Float64Array.from(table.numeric);
  table.strings.forEach((col, c) => {
    if (!col) return;
    const names = b.categoryNames[c] ?? [];
    const index = new Map(names.map((n, i) => [n, i]));
    for (let r = 0; r < table.rows; r++) {
      const s = col[r];
      if (s === null) {
        x[r * width + c] = Number.NaN;
        continue;
      }
      const code = index.get(s);
      const asNumber = s.trim() === "" ? Number.NaN : Number(s);
      x[r * width + c] = code ?? asNumber;
    }
  });
  return x;
}

const matrix = (data: Float64Array, rows: number, cols: number): Matrix => ({ rows, cols, data });

/** Wraps a compiled booster as a runtime model. */
function boosterModel(b: Booster, format: string): RuntimeModel {
  const classifier = b.kind.startsWith("binary") || b.kind === "softprob" || b.kind === "softmax";
  const classes: Label[] = b.kind.startsWith("binary")
    ? [0, 1]
    : Array.from({ length: b.groups }, (_, i) => i);
  // Labels and probabilities of one request come from one evaluation; `transform` works in place, so
  // each caller transforms its own copy of the shared margins.
  const shared = lastTable((t: FeatureTable) => b.margins(matrixOf(b, t), t.rows, t.columns.length));
  const margins = (t: FeatureTable) => shared(t).slice();
  const proba = (t: FeatureTable): Matrix => {
    const m = margins(t);
    if (b.kind === "softprob") return matrix(b.transform(m, t.rows), t.rows, b.groups);
    if (b.kind === "softmax") {
      // XGBClassifier.predict_proba for multi:softmax: scipy's softmax of the float32 margins.
      softmaxRowsF32(m, t.rows, b.groups);
      return matrix(m, t.rows, b.groups);
    }
    const v = b.transform(m, t.rows);
    const out = new Float64Array(t.rows * 2);
    for (let r = 0; r < t.rows; r++) {
      out[2 * r] = Math.fround(1 - v[r]);
      out[2 * r + 1] = v[r];
    }
    return matrix(out, t.rows, 2);
  };
  const predict = (t: FeatureTable): PredictOutput => {
    const m = margins(t);
    if (!classifier) return { kind: "values", values: matrix(b.transform(m, t.rows), t.rows, b.groups) };
    const v = b.transform(m, t.rows);
    const labels: Label[] = new Array(t.rows);
    if (b.kind === "softprob") {
      for (let r = 0; r < t.rows; r++) {
        let best = 0;
        for (let g = 1; g < b.groups; g++) if (v[r * b.groups + g] > v[r * b.groups + best]) best = g;
        labels[r] = best;
      }
    } else if (b.kind === "softmax") {
      for (let r = 0; r < t.rows; r++) labels[r] = v[r];
    } else {
      // XGBClassifier.predict: class 1 when the objective's output exceeds 0.5.
      for (let r = 0; r < t.rows; r++) labels[r] = v[r] > 0.5 ? 1 : 0;
    }
    return { kind: "labels", labels };
  };
  const inputs = specsOf(b);
  const typicalValues = typicalFromThresholds(b.splitThresholds, inputs);
  const model: RuntimeModel = {
    ...(typicalValues ? { typicalValues } : {}),
    signature: {
      inputs,
      output: classifier
        ? { task: "classification", classes, probabilityType: "float32" }
        : { task: "regression", targets: b.groups },
      capabilities: {
        predict: true,
        predictProba: classifier,
        decisionFunction: false,
        transform: false,
        rawScore: true,
      },
    },
    details: {
      format,
      framework: "xgboost",
      frameworkVersion: b.version,
      modelType: b.booster,
      metadata: { objective: b.objective, trees: b.numTrees, outputs: b.groups, features: b.numFeature },
    },
    async predict(t): Promise<PredictOutput> {
      return predict(t);
    },
    predictProba: classifier ? async (t) => proba(t) : undefined,
    async rawScore(t) {
      return matrix(margins(t), t.rows, b.groups);
    },
    explain: xgboostExplainer(b, (t) => matrixOf(b, t)),
  };
  return withSyncScoring(model, { predict, ...(classifier ? { predictProba: proba } : {}) });
}

/** The format name of model bytes: UBJSON when the object's first key starts with a length marker. */
function formatOf(bytes: Uint8Array): string {
  return bytes[0] === 0x7b && bytes[1] !== 0x22 && bytes[1] > 0x20 ? "xgboost-ubjson" : "xgboost-json";
}

/**
 * Lays out and checks a decoded model (the object `save_model` writes, numeric arrays plain or typed):
 * the costly part of compiling, done by the loader worker.
 */
export function xgboostLayout(data: unknown, fileBytes: number, fileName: string): BoosterLayout {
  return withModelErrors(fileName, () => layoutBooster(data, fileBytes));
}

/** The runtime model of a laid-out booster (binding its functions is cheap). */
export function xgboostModelFromLayout(
  layout: BoosterLayout,
  format: string,
  fileName: string,
): RuntimeModel {
  return withModelErrors(fileName, () => boosterModel(bindBooster(layout), format));
}

/** Compiles model bytes (JSON, UBJSON, or a pickled booster's raw buffer) into a runtime model. */
export function xgboostModelFromBytes(bytes: Uint8Array, fileName: string): RuntimeModel {
  const layout = xgboostLayout(decode(bytes, fileName), bytes.byteLength, fileName);
  return xgboostModelFromLayout(layout, formatOf(bytes), fileName);
}

/**
 * What the loader worker does with model bytes: decodes them (numeric arrays packed into `Float64Array`s,
 * `null` as NaN, as the compiler reads them) and lays the booster out with every check. The result is
 * plain data whose typed arrays move back to the main thread instead of being copied.
 */
export function layoutForTransfer(bytes: Uint8Array, fileName: string): XgboostWorkerResult {
  const data = packNumericArrays(decode(bytes, fileName));
  return { layout: xgboostLayout(data, bytes.byteLength, fileName), format: formatOf(bytes) };
}

/** Arrays shorter than this stay plain: a buffer per tiny array costs more than it saves. */
const PACK_MIN = 16;

/** Replaces, in place, every array of numbers and nulls (of {@link PACK_MIN} or more) by a Float64Array. */
function packNumericArrays(root: unknown): unknown {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || ArrayBuffer.isView(v)) continue;
    const slots = v as Record<string, unknown> | unknown[];
    for (const k of Object.keys(slots)) {
      const x = (slots as Record<string, unknown>)[k];
      if (!Array.isArray(x)) {
        stack.push(x);
        continue;
      }
      if (x.length >= PACK_MIN && x.every((e) => typeof e === "number" || e === null)) {
        const packed = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) packed[i] = x[i] === null ? Number.NaN : (x[i] as number);
        (slots as Record<string, unknown>)[k] = packed;
      } else stack.push(x);
    }
  }
  return root;
}

/** The XGBoost runtime. */
export const xgboostRuntime: Runtime = /* @__PURE__ */ runtimeOf(
  xgboostDescriptor,
  async (source, options) => {
    if (source.bytes.byteLength === 0) throw Errors.invalidModel(source.fileName, "the file is empty");
    if (loadsInline(options)) return xgboostModelFromBytes(source.bytes, source.fileName);
    // Decoding (JSON.parse of a file that may be hundreds of MB), the checks and the flat layout run in
    // the loader worker, under the load budgets; the main thread only binds functions to the arrays.
    const r = await runLoaderWorker<XgboostWorkerResult>(
      siblingModule(import.meta.url, "parse-worker"),
      { bytes: sharedCopy(source.bytes), fileName: source.fileName },
      source.fileName,
    );
    const model = xgboostModelFromLayout(r.layout, r.format, source.fileName);
    if (!loadLimits().sharedMemory) return model;
    // The layout's arrays are in shared memory: the pool's threads bind the same bytes.
    const data: XgboostPoolData = { ...r, fileName: source.fileName };
    return withShared(model, siblingModule(import.meta.url, "pool-bind"), data);
  },
);

/** What a thread of the inference pool receives to bind an XGBoost model (see pool-bind.ts). */
export interface XgboostPoolData extends XgboostWorkerResult {
  readonly fileName: string;
}

/** What the XGBoost loader worker sends back: the laid-out booster (typed arrays moved) and its format. */
export interface XgboostWorkerResult {
  readonly layout: BoosterLayout;
  readonly format: string;
}
