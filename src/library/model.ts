/**
 * @module The scikit-learn-like library API: `const model = await loadModel("churn.joblib")`, then
 * `model.predict(rows)` and `model.predictProba(rows)` on plain objects or arrays, one row or many,
 * answering plain values (labels, numbers, probabilities keyed by class label). The same object still
 * answers the low-level table calls (`model.predict(table)`) that the server uses, so it can be passed
 * wherever a loaded model is expected.
 */

import { Errors } from "../errors.ts";
import { type ExplanationJson, explainModel, explanationJson } from "../inference/explain.ts";
import { predictionValues, probabilityMap } from "../inference/run.ts";
import { type LoadModelOptions, loadModel as loadRuntimeModel } from "../runtimes/load-model.ts";
import type {
  Contributions,
  FeatureTable,
  Label,
  LoadedModel,
  Matrix,
  ModelInfo,
  ModelSignature,
  PredictOutput,
} from "../runtimes/runtime.ts";
import { compileValidator, type RowValidator } from "../schema/validator.ts";

/** A feature value in a plain row. */
export type PlainValue = number | string | boolean | null | readonly PlainValue[];

/** One row: named (`{ age: 42, plan: "pro" }`) or positional (`[42, "pro"]`, in signature order). */
export type PlainRow = Readonly<Record<string, PlainValue>> | readonly PlainValue[];

/**
 * What `predict` answers for one row: a class label (classification, clustering, anomaly detection),
 * a number (one regression target), numbers (several targets, transforms; `null` for non-finite
 * values), or named outputs (ONNX graphs with several outputs).
 */
export type Prediction =
  | Label
  | number
  | null
  | readonly (number | null)[]
  | Readonly<Record<string, unknown>>;

/** Class probabilities of one row keyed by class label, e.g. `{ setosa: 0.98, versicolor: 0.02 }`. */
export type Probabilities = Readonly<Record<string, number | null>>;

/**
 * Exact TreeSHAP attributions of one row (tree models): `base_value` and each feature's contribution,
 * numbers for one output or keyed by class label per class (see docs/explain.md).
 */
export type Explanation = ExplanationJson;

/**
 * A loaded model with plain-value methods. Every method takes one row (an object, or an array of
 * scalars) or many rows (an array of rows), and answers one value or an array in the same shape.
 * Passing a {@link FeatureTable} instead keeps the low-level answer of {@link LoadedModel}.
 */
export interface Model extends LoadedModel {
  /** Class labels in probability order (classifiers only). */
  readonly classes?: readonly Label[];
  /** Input names in signature order: the order of positional rows. */
  readonly featureNames: readonly string[];
  /** Low-level: a validated table in, the runtime's batch output out. */
  predict(table: FeatureTable): Promise<PredictOutput>;
  /** Many rows: one prediction per row. */
  predict(rows: readonly PlainRow[]): Promise<Prediction[]>;
  /** One row: its prediction. */
  predict(row: PlainRow): Promise<Prediction>;
  /** Low-level: probability matrix, columns in {@link Model.classes} order. */
  predictProba(table: FeatureTable): Promise<Matrix>;
  /** Many rows: probabilities keyed by class label, one object per row. */
  predictProba(rows: readonly PlainRow[]): Promise<Probabilities[]>;
  /** One row: its probabilities keyed by class label. */
  predictProba(row: PlainRow): Promise<Probabilities>;
  /**
   * Feature attributions, when the model's runtime can explain (throws `MS_METHOD_NOT_SUPPORTED`
   * otherwise). One row gives one explanation; many give an array.
   */
  explain(rows: readonly PlainRow[]): Promise<Explanation[]>;
  explain(row: PlainRow): Promise<Explanation>;
  /** Low-level: a validated table in, the contributions matrix out. */
  explain(table: FeatureTable): Promise<Contributions>;
}

const isTable = (x: unknown): x is FeatureTable =>
  typeof x === "object" && x !== null && (x as FeatureTable).numeric instanceof Float64Array;

const isRowLike = (x: unknown) => Array.isArray(x) || (typeof x === "object" && x !== null);

/**
 * Whether the argument is many rows: an array whose entries are rows (objects or arrays). An array of
 * scalars is one positional row. A model whose single input is a tensor takes one row as
 * `{ <input>: tensor }` or a batch `[tensor, …]`.
 */
function batchOf(input: unknown): { rows: readonly unknown[]; single: boolean } {
  if (Array.isArray(input) && (input.length === 0 || isRowLike(input[0])))
    return { rows: input, single: false };
  if (isRowLike(input)) return { rows: [input], single: true };
  throw Errors.invalidInput([
    {
      code: "ROW_NOT_OBJECT",
      field: "rows",
      message: `expected a row (object or array) or an array of rows, got ${typeof input}`,
    },
  ]);
}

/** Wraps a loaded model with the plain-value methods. */
export function friendlyModel(model: LoadedModel, name = model.info.path ?? "model"): Model {
  const signature: ModelSignature = model.signature;
  const classes = signature.output.classes;
  let validator: RowValidator | undefined;
  const toTable = (rows: readonly unknown[]) => {
    validator ??= compileValidator(signature);
    return validator.toTable(rows, "rows");
  };
  const single = <T>(one: boolean, values: T[]): T | T[] => (one ? values[0] : values);

  async function predict(input: unknown): Promise<unknown> {
    if (isTable(input)) return model.predict(input);
    const { rows, single: one } = batchOf(input);
    const table = toTable(rows);
    return single(one, predictionValues(await model.predict(table), table.rows));
  }

  async function predictProba(input: unknown): Promise<unknown> {
    if (model.predictProba && signature.output.outputClasses && !classes) {
      // A multi-output classifier: the matrix (each output's columns in turn) for a table; its per-output
      // maps are answered over HTTP and by `modelserve predict --proba`, not by these plain-value overloads.
      if (isTable(input)) return model.predictProba(input);
      throw Errors.methodNotSupported(
        name,
        "predict_proba",
        "it is a multi-output classifier: pass a FeatureTable for its probability matrix (outputClasses in its signature), or use the HTTP or CLI answers (one map per output)",
      );
    }
    if (!model.predictProba || !classes) {
      const why =
        signature.output.task === "classification"
          ? "this classifier does not produce probabilities"
          : `it is a ${signature.output.task} model, not a probabilistic classifier`;
      throw Errors.methodNotSupported(name, "predict_proba", why);
    }
    if (isTable(input)) return model.predictProba(input);
    const { rows, single: one } = batchOf(input);
    const table = toTable(rows);
    const p = await model.predictProba(table);
    return single(
      one,
      Array.from({ length: table.rows }, (_, r) => probabilityMap(p, classes, r)),
    );
  }

  async function explain(input: unknown): Promise<unknown> {
    if (isTable(input)) return explainModel(model, name, input);
    const { rows, single: one } = batchOf(input);
    const c = await explainModel(model, name, toTable(rows));
    return single(
      one,
      Array.from({ length: c.rows }, (_, r) => explanationJson(c, r)),
    );
  }

  return {
    ...model,
    classes,
    featureNames: signature.inputs.map((f) => f.name),
    predict: predict as Model["predict"],
    predictProba: predictProba as Model["predictProba"],
    explain: explain as Model["explain"],
  };
}

/** Info of a model, re-exported for the docs of {@link loadModel}. */
export type { ModelInfo };

/**
 * Loads a model file (scikit-learn joblib/pickle, XGBoost, LightGBM, ONNX, or a `defineModel` module)
 * and answers plain values.
 *
 * @example
 * import { loadModel } from "modelserve";
 *
 * const model = await loadModel("examples/iris/models/random_forest.joblib");
 *
 * // One named row: one label.
 * const label = await model.predict({
 *   sepal_length: 5.5,
 *   sepal_width: 3.5,
 *   petal_length: 1.3,
 *   petal_width: 0.2,
 * });
 *
 * // Many positional rows (in model.featureNames order): probabilities keyed by class label.
 * const probabilities = await model.predictProba([
 *   [5.7, 2.8, 4.5, 1.3],
 *   [5.1, 3.8, 1.9, 0.4],
 * ]);
 *
 * console.log(JSON.stringify({ label, probabilities, classes: model.classes }));
 * await model.close?.();
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  return friendlyModel(await loadRuntimeModel(path, options), path);
}
