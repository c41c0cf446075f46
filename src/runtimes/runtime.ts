/**
 * @module The model contract: what every runtime (scikit-learn, XGBoost, LightGBM, ONNX, TypeScript
 * predictors) produces and what the registry, the server and the CLI consume. Types and TSDoc only.
 */

/** A feature's data type as clients send it. */
export type FeatureDType = "float" | "int" | "bool" | "string" | "category" | "tensor";

/** A class label or category value, exactly as the framework stores it. */
export type Label = string | number | boolean;

/** One input of a model, in the model's order. */
export interface FeatureSpec {
  /** Field name in a named row (`{"sepal_length": 5.1}`); positional rows follow the signature order. */
  readonly name: string;
  /** What a client sends for this feature. */
  readonly dtype: FeatureDType;
  /**
   * Allowed values of a `category` feature. Numeric categories stay numbers in the table's numeric
   * matrix; string categories go to {@link FeatureTable.strings}.
   */
  readonly categories?: readonly Label[];
  /**
   * For a `category` feature: whether a value outside {@link FeatureSpec.categories} is accepted (and
   * handled by the model, e.g. `handle_unknown="ignore"`). Default false: such a value is rejected.
   */
  readonly allowUnknownCategories?: boolean;
  /** Inclusive bounds a value must respect; values outside are rejected. */
  readonly range?: { readonly min?: number; readonly max?: number };
  /** Whether `null` is accepted, meaning a missing value (NaN in the numeric matrix). */
  readonly nullable: boolean;
  /** For `tensor` inputs: the shape of one instance (without the batch dimension), `-1` for a free axis. */
  readonly shape?: readonly number[];
  /** Human description, shown in docs. */
  readonly description?: string;
  /** An example value for docs and the OpenAPI document. */
  readonly example?: Label | readonly number[];
}

/** What kind of answer a model gives. */
export type Task =
  | "classification"
  | "regression"
  | "clustering"
  | "anomaly-detection"
  | "transform"
  | "other";

/** A named output tensor of models with task `other` (ONNX). */
export interface OutputTensorSpec {
  readonly name: string;
  /** Element type, e.g. `float32`, `int64`, `string`. */
  readonly type: string;
  /** Dimensions; `-1` or a string for symbolic ones. */
  readonly shape: readonly (number | string)[];
}

/** The outputs of a model. */
export interface OutputSignature {
  readonly task: Task;
  /** Class labels in the order of probability columns (classification). */
  readonly classes?: readonly Label[];
  /** Number of regression targets, or the width of a numeric output. */
  readonly targets?: number;
  /**
   * A multi-output classifier (MultiOutputClassifier, ClassifierChain, multilabel OneVsRestClassifier): each
   * output's class labels, in output order. Its predictions are one number per output (task `regression`,
   * `targets` outputs), and `predictProba` answers every output's probability columns side by side, output
   * after output (`rows × Σ classes`).
   */
  readonly outputClasses?: readonly (readonly Label[])[];
  /** Names of the targets or output columns, when known. */
  readonly names?: readonly string[];
  /** The raw output tensors (ONNX). */
  readonly tensors?: readonly OutputTensorSpec[];
  /**
   * `float32` when probabilities are computed in single precision (ONNX, XGBoost): they may then exceed 1
   * by float32 rounding, which the answer schema allows.
   */
  readonly probabilityType?: "float32" | "float64";
}

/** Which methods a model offers beyond `predict`. */
export interface Capabilities {
  readonly predict: true;
  readonly predictProba: boolean;
  readonly decisionFunction: boolean;
  readonly transform: boolean;
  /** Raw, untransformed scores (margins) of boosted trees. */
  readonly rawScore: boolean;
}

/** A model's request and response contract, derived from the model itself. */
export interface ModelSignature {
  /** Ordered inputs. */
  readonly inputs: readonly FeatureSpec[];
  readonly output: OutputSignature;
  readonly capabilities: Capabilities;
}

/** What the runtime tells about a loaded model. */
export interface RuntimeInfo {
  /** File format, e.g. `joblib`, `xgboost-json`, `lightgbm-text`, `onnx`, `typescript`. */
  readonly format: string;
  /** Framework that trained the model, e.g. `scikit-learn`, `xgboost`. */
  readonly framework: string;
  /** Framework version recorded in the file, when it has one. */
  readonly frameworkVersion?: string;
  /** Model class or kind, e.g. `RandomForestClassifier`, `gbtree`. */
  readonly modelType: string;
  /** Free-form facts (objective, number of trees, producer, metadata props). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Everything known about a loaded model: runtime facts plus file facts. */
export interface ModelInfo extends RuntimeInfo {
  /** Runtime that loaded it. */
  readonly runtime: string;
  /** Source path, when loaded from a file. */
  readonly path?: string;
  /** SHA-256 of the model file (hex), or of the definition for code models. */
  readonly sha256: string;
  /** File size in bytes (0 for code models). */
  readonly sizeBytes: number;
  /** Wall time of the load, in milliseconds. */
  readonly loadTimeMs: number;
  /** When the load finished (ISO 8601). */
  readonly loadedAt: string;
}

/** A dense row-major matrix of float64 values. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** `rows * cols` values, row-major. */
  readonly data: Float64Array;
}

/** One n-dimensional input of a `tensor` feature for a whole batch. */
export interface TensorColumn {
  /** Shape of one instance. */
  readonly shape: readonly number[];
  /** `rows * product(shape)` values, row-major. */
  readonly data: Float64Array;
}

/**
 * A validated batch of rows. A single request is a batch of one.
 *
 * Every feature has a column in `numeric` (row-major, `rows * columns.length`): numbers, booleans
 * as 0/1, numeric categories, and NaN for missing values and for features held elsewhere. String and
 * string-category features are in `strings`, tensor features in `tensors`, both indexed by feature
 * position.
 */
export interface FeatureTable {
  readonly rows: number;
  /** Feature names in signature order. */
  readonly columns: readonly string[];
  readonly numeric: Float64Array;
  /** String values by feature index (`null` for missing); undefined for non-string features. */
  readonly strings: readonly (readonly (string | null)[] | undefined)[];
  /** Tensor values by feature index; undefined for other features. */
  readonly tensors: readonly (TensorColumn | undefined)[];
}

/** What `predict` answers for a batch. */
export type PredictOutput =
  /** One label per row (classification, clustering, anomaly detection). */
  | { readonly kind: "labels"; readonly labels: readonly Label[] }
  /** One or more numbers per row (regression, transforms). */
  | { readonly kind: "values"; readonly values: Matrix }
  /** One label per output of every row: a multi-output classifier whose labels are not all numbers. */
  | { readonly kind: "label-rows"; readonly labels: readonly (readonly Label[])[] }
  /** Several named outputs per row (ONNX graphs with many outputs). */
  | {
      readonly kind: "tensors";
      readonly tensors: Readonly<
        Record<
          string,
          { readonly shape: readonly number[]; readonly data: readonly (number | string | boolean)[] }
        >
      >;
    };

/** Training statistics of one feature (or of the predictions), as a bundle's manifest holds them. */
export interface FeatureStats {
  readonly mean?: number;
  readonly std?: number;
  readonly min?: number;
  readonly max?: number;
  /**
   * Histogram: `edges` are the k+1 bin boundaries, `fractions` the training share of each of the k
   * bins. Live values below the first edge count in the first bin, above the last in the last.
   */
  readonly bins?: { readonly edges: readonly number[]; readonly fractions: readonly number[] };
  /** Category shares (strings, or labels of a classifier's predictions). */
  readonly categories?: Readonly<Record<string, number>>;
}

/** Which scale explanations add up to: boosted margins, class probabilities, or raw regression scores. */
export type OutputSpace = "margin" | "probability" | "raw";

/**
 * Exact TreeSHAP feature contributions of a batch. For every row and output, the contributions of
 * the `features` inputs plus the bias (the expected value, last) add up to the model's output in
 * `outputSpace` for that row.
 */
export interface Contributions {
  readonly rows: number;
  /** Input features explained, in signature order. */
  readonly features: readonly string[];
  /** What each output is: class labels of a per-class explanation, target names, or `[""]` for one output. */
  readonly outputs: readonly Label[];
  /** `rows × outputs × (features + 1)` values, row-major; the last of each `features + 1` is the bias. */
  readonly values: Float64Array;
  readonly outputSpace: OutputSpace;
}

/**
 * How a thread of the inference pool rebuilds a model over the same memory: it imports `module` and
 * calls its `bindShared(data)` export, which returns the model. `data` reaches the thread by structured
 * clone; its large typed arrays are views of `SharedArrayBuffer`s, which the clone shares, not copies.
 */
export interface SharedModelRecipe {
  /** URL of the module exporting `bindShared(data): RuntimeModel | Promise<RuntimeModel>`. */
  readonly module: string;
  /** What `bindShared` takes: structured-cloneable, its arrays in shared memory. */
  readonly data: unknown;
}

/** A model ready to answer. Methods are batch-first and may run on another thread. */
export interface RuntimeModel {
  readonly signature: ModelSignature;
  readonly details: RuntimeInfo;
  /**
   * Training statistics the model itself carries (e.g. a scikit-learn StandardScaler's means and
   * standard deviations), by input name, for drift checks when no bundle supplies any.
   */
  readonly trainingStats?: Readonly<Record<string, FeatureStats>>;
  /**
   * A realistic value per numeric input, when the model knows one (e.g. the median split threshold of
   * a tree model): documentation examples use it instead of an arbitrary number.
   */
  readonly typicalValues?: Readonly<Record<string, number>>;
  /** Predictions for every row of the batch. */
  predict(table: FeatureTable): Promise<PredictOutput>;
  /**
   * Class probabilities, columns in `signature.output.classes` order (or, for a multi-output classifier,
   * each output's columns in turn, as `signature.output.outputClasses` lists them).
   */
  predictProba?(table: FeatureTable): Promise<Matrix>;
  /** Decision function (margins, anomaly scores). */
  decisionFunction?(table: FeatureTable): Promise<Matrix>;
  /** Transformer output. */
  transform?(table: FeatureTable): Promise<Matrix>;
  /** Raw scores before the objective's link function (boosted trees). */
  rawScore?(table: FeatureTable): Promise<Matrix>;
  /**
   * Exact path-dependent TreeSHAP contributions (tree models only). Models that cannot be explained
   * leave it undefined.
   */
  explain?(table: FeatureTable): Promise<Contributions>;
  /** Frees native resources or workers. */
  close?(): Promise<void>;
  /**
   * How the inference pool's threads rebuild this model over the same (shared) memory; absent when
   * the model can only run where it was loaded.
   */
  readonly shared?: SharedModelRecipe;
}

/** A runtime model with its full info, as the registry holds it. */
export interface LoadedModel extends RuntimeModel {
  readonly info: ModelInfo;
}

/** The bytes of a model and where they came from. */
export interface ModelSource {
  /** Absolute path of the file, when there is one. */
  readonly path?: string;
  /** File name (for extension matching). */
  readonly fileName: string;
  /** The whole file. */
  readonly bytes: Uint8Array;
}

/** Options passed to a runtime's `load`. */
export interface RuntimeLoadOptions {
  /** Runtime-specific settings, e.g. `{ inference: "worker" }` for ONNX. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /**
   * Read the file on the calling thread even where loads run in a loader worker: a startup load of a
   * small file in a process with no CPU to spare for that worker (`loadInlineStartupKb`).
   */
  readonly inline?: boolean;
}

/** A model format implementation. */
export interface Runtime {
  /** Stable name used as a hint (`--runtime sklearn`). */
  readonly name: string;
  /** Lower-case file extensions with the dot, e.g. `[".joblib", ".pkl"]`. */
  readonly extensions: readonly string[];
  /** Whether the bytes look like this format (magic bytes or a cheap structural check). */
  sniff(bytes: Uint8Array, fileName: string): boolean;
  /** Builds a model. Throws a {@link ModelServeError} with a stable code when the file is not usable. */
  load(source: ModelSource, options?: RuntimeLoadOptions): Promise<RuntimeModel>;
}
