/**
 * @module The contract between the scikit-learn runtime and the estimator implementations: the data
 * that flows through a fitted estimator (dense, sparse or mixed columns) and what an estimator offers.
 */

import type { PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import type { FeatureSpec, Label, Matrix, OutputSpace } from "../runtime.ts";

/** TreeSHAP contributions on an estimator's own input columns: `rows × outputs × (cols + 1)`, bias last. */
export interface SkExplanation {
  readonly rows: number;
  readonly cols: number;
  readonly outputs: readonly Label[];
  readonly values: Float64Array;
  readonly outputSpace: OutputSpace;
}

/** A dense row-major float64 matrix. */
export interface DenseData {
  readonly kind: "dense";
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A CSR sparse matrix (text vectorizers, one-hot encoders with `sparse_output=True`). */
export interface SparseData {
  readonly kind: "csr";
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;
}

/** One column of a mixed frame: numbers (NaN = missing) or strings (`null` = missing). */
export interface FrameColumn {
  readonly name: string;
  readonly values: Float64Array | readonly (string | null)[];
}

/** Named, mixed-type columns, as a pandas DataFrame reaches a ColumnTransformer or a text vectorizer. */
export interface FrameData {
  readonly kind: "frame";
  readonly rows: number;
  readonly columns: readonly FrameColumn[];
}

/** What flows between pipeline steps. */
export type SkData = DenseData | SparseData | FrameData;

/** What an estimator is, which decides its output kind and the runtime's task. */
export type SkRole = "classifier" | "regressor" | "transformer" | "clusterer" | "outlier-detector";

/** A fitted scikit-learn estimator rebuilt in TypeScript. Methods are synchronous and batch-first. */
export interface SkEstimator {
  /** Python class name, e.g. `RandomForestClassifier`. */
  readonly className: string;
  readonly role: SkRole;
  /** `n_features_in_`, when the estimator recorded it. */
  readonly nFeaturesIn?: number;
  /** `feature_names_in_` (fitted on a DataFrame), when recorded. */
  readonly featureNamesIn?: readonly string[];
  /** `classes_` of a classifier, in probability-column order. */
  readonly classes?: readonly Label[];
  /** Number of regression targets (1 unless multi-output). */
  readonly nOutputs?: number;
  /**
   * A multi-output classifier's class labels per output: `predictProba` then gives each output's probability
   * columns in turn (`rows × Σ classes`), and `predict` a `rows × nOutputs` matrix of labels.
   */
  readonly outputClasses?: readonly (readonly Label[])[];
  /** Names of the outputs, when they have some (a multilabel one-vs-rest's labels). */
  readonly outputNames?: readonly string[];
  /** Whether NaN inputs are valid (trees since 1.3, HistGradientBoosting, imputers). */
  readonly allowsMissing?: boolean;
  /** Labels (classifier, clusterer, outlier detector) or values (regressor: rows × nOutputs). */
  predict?(x: SkData): readonly Label[] | DenseData;
  /**
   * A multi-output classifier whose labels are not all numbers (text classes): one label per output of every
   * row. Such an estimator has no `predict` (its labels do not fit a matrix of numbers).
   */
  predictLabelRows?(x: SkData): Label[][];
  /** Class probabilities, columns in `classes` order. */
  predictProba?(x: SkData): Matrix;
  /**
   * True when `predict` is exactly `classes[argmax(predictProba)]` (first maximum on ties), as for
   * trees and forests: the runtime then answers `/predict` (labels and probabilities) with one pass.
   */
  readonly predictIsArgmaxProba?: boolean;
  /**
   * The median split threshold per input column (trees and forests; NaN where a column has none):
   * where the model draws its lines, for the documentation's typical values.
   */
  splitMedians?(): ArrayLike<number>;
  /** Training means and standard deviations of the inputs, when the estimator learned them (StandardScaler). */
  trainingMoments?(): { readonly mean: Float64Array; readonly std: Float64Array } | undefined;
  /**
   * For each output column of `transform` (given `nIn` input and `nOut` output columns), the input
   * column it is computed from: how explanations sum encoded columns back to their inputs. Undefined
   * when an output mixes several inputs.
   */
  columnSources?(nIn: number, nOut: number): Int32Array | undefined;
  /** Exact TreeSHAP contributions of the estimator's output (tree models), on its input columns. */
  explain?(x: SkData): SkExplanation;
  /** Decision function: `(rows × 1)` for binary/outliers, `(rows × classes)` otherwise. */
  decisionFunction?(x: SkData): Matrix;
  /** Transformer output. */
  transform?(x: SkData): SkData;
  /** The inverse transform, where it exists (scalers, FunctionTransformer): TransformedTargetRegressor uses it. */
  inverseTransform?(x: SkData): DenseData;
  /**
   * The input schema when this estimator is the first step (a ColumnTransformer or encoder knows
   * column dtypes and categories); undefined to let the runtime derive float features.
   */
  inputSpecs?(): readonly FeatureSpec[] | undefined;
}

/** Context handed to builders: recursive building of nested estimators and the file's facts. */
export interface BuildContext {
  /** Builds a nested estimator (a pipeline step, a forest's trees), naming `path` in errors. */
  build(value: PyValue, path: string): SkEstimator;
  /** `_sklearn_version` of the top-level object, e.g. `1.2.1`, when recorded. */
  readonly sklearnVersion?: string;
  /** File name, for error messages. */
  readonly file: string;
}

/** Builds an estimator from its unpickled object; throws ModelServeErrors (unsupported options at load time). */
export type EstimatorBuilder = (obj: PyObject, ctx: BuildContext) => SkEstimator;

/** Builders keyed by Python class name (`RandomForestClassifier`). */
export type BuilderTable = Readonly<Record<string, EstimatorBuilder>>;
