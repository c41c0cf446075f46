/**
 * @module The names a scikit-learn pickle may reference. Nothing is ever executed either way; a name
 * outside this list refuses the whole file, so what is served is exactly what modelserve understands.
 */

import { isResamplerName } from "./estimators/composition/resamplers.ts";
import { SCIPY_SPARSE_NAMES } from "./sparse.ts";

/** numpy, Python built-ins and joblib helpers met in model files (numpy 1.x and 2.x names normalised). */
const CORE = [
  "numpy.dtype",
  "numpy.ndarray",
  "numpy.core.multiarray._reconstruct",
  "numpy.core.multiarray.scalar",
  "numpy.core.numeric._frombuffer",
  "numpy.float64",
  "numpy.float32",
  "numpy.int64",
  "numpy.int32",
  "numpy.bool_",
  "numpy.object_",
  "numpy.str_",
  "numpy.random._pickle.__randomstate_ctor",
  "numpy.random._pickle.__bit_generator_ctor",
  "numpy.random._pickle.__generator_ctor",
  "numpy.random.mtrand.RandomState",
  "numpy.random._mt19937.MT19937",
  "numpy.random._pcg64.PCG64",
  // A Generator's SeedSequence (HistGradientBoosting keeps a fitted random generator): inert state.
  "numpy.random.bit_generator.SeedSequence",
  "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
  "joblib.numpy_pickle.NumpyArrayWrapper",
  "copyreg._reconstructor",
  "_codecs.encode",
  "builtins.object",
  "builtins.set",
  "builtins.frozenset",
  "builtins.bytearray",
  "builtins.bytes",
  "builtins.slice",
  "builtins.complex",
  "builtins.float",
  "builtins.int",
  "builtins.str",
  "builtins.dict",
  "builtins.list",
  "builtins.tuple",
  "collections.OrderedDict",
  "collections.defaultdict",
  // HistGradientBoosting (≥ 1.4) wraps its numeric columns in FunctionTransformer(partial(check_array)):
  // both names are data here (the transformer is the identity), never called.
  "functools.partial",
  // SplineTransformer's fitted splines: scipy BSpline objects, plain data (knots, coefficients, degree).
  "scipy.interpolate._bsplines.BSpline",
  "scipy.interpolate.bsplines.BSpline",
  // …which in recent scipy also keep their array namespace's `asarray` as a value (never called).
  "scipy._lib.array_api_compat.numpy._aliases.asarray",
  "sklearn.utils.validation.check_array",
  // Boosters inside pickled scikit-learn wrappers (handed to the xgboost and lightgbm runtimes).
  "xgboost.sklearn.XGBClassifier",
  "xgboost.sklearn.XGBRegressor",
  "xgboost.core.Booster",
  "lightgbm.sklearn.LGBMClassifier",
  "lightgbm.sklearn.LGBMRegressor",
  "lightgbm.basic.Booster",
  // numpy masked arrays (a search's cv_results_), inert.
  "numpy.ma.core._mareconstruct",
  "numpy.ma.core.MaskedArray",
  "numpy.ma.MaskedArray",
  // pandas Index objects (column lists kept by ColumnTransformer): read as their values array.
  "pandas.core.indexes.base._new_Index",
  "pandas.core.indexes.base.Index",
  // numpy element-wise ufuncs named by FunctionTransformer / TransformedTargetRegressor (never called here).
  ...["log", "log1p", "log2", "log10", "exp", "expm1", "sqrt", "square", "abs", "absolute"].flatMap((f) => [
    `numpy.${f}`,
    `numpy.core.multiarray.${f}`,
  ]),
  // scipy.sparse matrices (TfidfTransformer._idf_diag before scikit-learn 1.5): inert data.
  ...SCIPY_SPARSE_NAMES,
];

/** scikit-learn classes (estimators and the helper objects they pickle), by class name. */
const SKLEARN_CLASSES = [
  // Trees and ensembles.
  "DecisionTreeClassifier",
  "DecisionTreeRegressor",
  "ExtraTreeClassifier",
  "ExtraTreeRegressor",
  "Tree",
  "RandomForestClassifier",
  "RandomForestRegressor",
  "ExtraTreesClassifier",
  "ExtraTreesRegressor",
  "GradientBoostingClassifier",
  "GradientBoostingRegressor",
  "HistGradientBoostingClassifier",
  "HistGradientBoostingRegressor",
  "IsolationForest",
  "TreePredictor",
  "_BinMapper",
  "DummyClassifier",
  "DummyRegressor",
  // Linear models, SVM, neighbours, naive Bayes, networks, clustering.
  "LinearRegression",
  "Ridge",
  "RidgeClassifier",
  "Lasso",
  "ElasticNet",
  "LogisticRegression",
  "SGDClassifier",
  "SGDRegressor",
  "LinearSVC",
  "LinearSVR",
  "Perceptron",
  "SVC",
  "NuSVC",
  "SVR",
  "NuSVR",
  "KNeighborsClassifier",
  "KNeighborsRegressor",
  // A fitted neighbour index (SMOTE's `nn_k_`): data; served alone it is refused (no predict).
  "NearestNeighbors",
  "GaussianNB",
  "MultinomialNB",
  "BernoulliNB",
  "ComplementNB",
  "MLPClassifier",
  "MLPRegressor",
  "KMeans",
  "AdamOptimizer",
  "SGDOptimizer",
  "LabelBinarizer",
  // Neighbour search trees kept by fitted KNN models (inert: modelserve searches by brute force).
  "KDTree",
  "BallTree",
  // Preprocessing, text, composition.
  "StandardScaler",
  "MinMaxScaler",
  "RobustScaler",
  "MaxAbsScaler",
  "Normalizer",
  "SimpleImputer",
  "MissingIndicator",
  "OneHotEncoder",
  "OrdinalEncoder",
  "DictVectorizer",
  "TargetEncoder",
  "LabelEncoder",
  "PolynomialFeatures",
  "SplineTransformer",
  "PCA",
  "KBinsDiscretizer",
  "FunctionTransformer",
  "CountVectorizer",
  "TfidfVectorizer",
  "TfidfTransformer",
  "HashingVectorizer",
  "Pipeline",
  "ColumnTransformer",
  "FeatureUnion",
  "TransformedTargetRegressor",
  "_RemainderColsList",
  "QuantileTransformer",
  "PowerTransformer",
  "CalibratedClassifierCV",
  "_CalibratedClassifier",
  "_SigmoidCalibration",
  "IsotonicRegression",
  "AdaBoostClassifier",
  "AdaBoostRegressor",
  "VotingClassifier",
  "Bunch",
  "VotingRegressor",
  "BaggingClassifier",
  "BaggingRegressor",
  "StackingClassifier",
  "StackingRegressor",
  // Feature selection, and the score functions selectors keep a reference to (never called).
  "VarianceThreshold",
  "SelectKBest",
  "SelectPercentile",
  "SelectFpr",
  "SelectFdr",
  "SelectFwe",
  "RFE",
  "RFECV",
  "f_classif",
  "f_regression",
  "r_regression",
  "chi2",
  "mutual_info_classif",
  "mutual_info_regression",
  // Fitted searches (served as best_estimator_), their splitters and scorers, and the metric functions the
  // scorers name (never called).
  "GridSearchCV",
  "RandomizedSearchCV",
  // Multiclass and multi-output meta-estimators.
  "OneVsRestClassifier",
  "OneVsOneClassifier",
  "_ConstantPredictor",
  "MultiOutputClassifier",
  "MultiOutputRegressor",
  "ClassifierChain",
  "RegressorChain",
  "HalvingGridSearchCV",
  "HalvingRandomSearchCV",
  "KFold",
  "StratifiedKFold",
  "GroupKFold",
  "StratifiedGroupKFold",
  "ShuffleSplit",
  "StratifiedShuffleSplit",
  "RepeatedKFold",
  "RepeatedStratifiedKFold",
  "TimeSeriesSplit",
  "PredefinedSplit",
  "_PredictScorer",
  "_ProbaScorer",
  "_ThresholdScorer",
  "_PassthroughScorer",
  "_Scorer",
  "_MultimetricScorer",
  "_passthrough_scorer",
  "accuracy_score",
  "balanced_accuracy_score",
  "f1_score",
  "fbeta_score",
  "precision_score",
  "recall_score",
  "jaccard_score",
  "roc_auc_score",
  "average_precision_score",
  "log_loss",
  "matthews_corrcoef",
  "cohen_kappa_score",
  "brier_score_loss",
  "top_k_accuracy_score",
  "r2_score",
  "explained_variance_score",
  "max_error",
  "mean_squared_error",
  "root_mean_squared_error",
  "mean_squared_log_error",
  "root_mean_squared_log_error",
  "mean_absolute_error",
  "median_absolute_error",
  "mean_absolute_percentage_error",
  "mean_poisson_deviance",
  "mean_gamma_deviance",
  "d2_absolute_error_score",
  // Loss and link objects kept by boosting models (inert).
  "BinomialDeviance",
  "MultinomialDeviance",
  "LeastSquaresError",
  "LeastAbsoluteError",
  "HuberLossFunction",
  "QuantileLossFunction",
  "ExponentialLoss",
  "HalfBinomialLoss",
  "HalfMultinomialLoss",
  "HalfSquaredError",
  "AbsoluteError",
  "PinballLoss",
  "HalfPoissonLoss",
  "HalfGammaLoss",
  "HuberLoss",
  "ExponentialLoss",
  "IdentityLink",
  "LogitLink",
  "LogLink",
  "MultinomialLogit",
  "HalfLogitLink",
  "Interval",
  // SGD loss objects (sklearn.linear_model._sgd_fast).
  "Hinge",
  "Log",
  "ModifiedHuber",
  "SquaredLoss",
  "Huber",
  "EpsilonInsensitive",
  "SquaredEpsilonInsensitive",
  "SquaredHinge",
  "LogLoss",
];

const CLASS_SET = new Set(SKLEARN_CLASSES);
/** Built-in distance metric classes (not `PyFuncDistance`, which wraps a Python callable). */
const DIST_METRIC =
  /^(Euclidean|SEuclidean|Manhattan|Chebyshev|Minkowski|WMinkowski|Mahalanobis|Hamming|Canberra|BrayCurtis|Jaccard|Matching|Dice|Kulsinski|RogersTanimoto|RussellRao|SokalMichener|SokalSneath|Haversine)Distance(32|64)?$/;
const CORE_SET = new Set(CORE);

/** Whether a qualified global (`module.name`) may appear in a served pickle. */
export function isAllowed(qualified: string): boolean {
  if (CORE_SET.has(qualified)) return true;
  const dot = qualified.lastIndexOf(".");
  const module = qualified.slice(0, dot);
  const name = qualified.slice(dot + 1);
  if (module === "sklearn" || module.startsWith("sklearn.")) {
    // Cython loss objects unpickle through generated helpers; they are data containers.
    if (/^(__pyx_unpickle_)?Cy[A-Z]\w+$/.test(name) && module.startsWith("sklearn._loss")) return true;
    // KD/ball trees and distance metrics pickle through a `newObj(cls)` helper and hold only data.
    if (name === "newObj" && /^sklearn\.(neighbors\._(kd|ball)_tree|metrics\._dist_metrics)$/.test(module))
      return true;
    if (module === "sklearn.metrics._dist_metrics" && DIST_METRIC.test(name)) return true;
    return CLASS_SET.has(name);
  }
  // imbalanced-learn: its Pipeline (scikit-learn's, resamplers allowed as steps) and its resamplers,
  // whose fitted state is data (skipped when predicting; refused when saved alone).
  if (qualified === "imblearn.pipeline.Pipeline" || isResamplerName(qualified)) return true;
  // scikit-learn ≥ 1.6 pickles its Cython loss objects under the bare extension module name `_loss`.
  if (module === "_loss" && /^(__pyx_unpickle_)?Cy[A-Z]\w+$/.test(name)) return true;
  return false;
}
