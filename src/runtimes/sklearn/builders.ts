/**
 * @module Every scikit-learn estimator modelserve can rebuild, by Python class name. Each folder of
 * `estimators/` is one family and contributes its table the same way: its `index.ts` exports
 * `builders` (class name → builder) and nothing else; the builders live in the folder's concept files.
 * Adding an estimator is a builder in its family's folder plus one line in that `index.ts`, one line in
 * {@link FAMILY_OF} below (its test names any class missing or misplaced) and its allow-list entries.
 *
 * A family's code is imported when a model first needs one of its classes ({@link loadBuildersFor}):
 * a forest loads the tree family, not the other eleven (about half the runtime's start-up import).
 */

import type { PyObject, PyValue } from "../../formats/pickle/py-objects.ts";
import type { BuilderTable } from "./estimator.ts";

/** The family folders of `estimators/`. */
export type Family =
  | "boosting"
  | "cluster"
  | "composition"
  | "ensemble"
  | "linear"
  | "multiclass"
  | "naive-bayes"
  | "neighbors"
  | "neural-network"
  | "preprocessing"
  | "svm"
  | "trees";

/** Each family's table, imported on demand. */
const FAMILIES: Record<Family, () => Promise<{ readonly builders: BuilderTable }>> = {
  boosting: () => import("./estimators/boosting/index.ts"),
  cluster: () => import("./estimators/cluster/index.ts"),
  composition: () => import("./estimators/composition/index.ts"),
  ensemble: () => import("./estimators/ensemble/index.ts"),
  linear: () => import("./estimators/linear/index.ts"),
  multiclass: () => import("./estimators/multiclass/index.ts"),
  "naive-bayes": () => import("./estimators/naive-bayes/index.ts"),
  neighbors: () => import("./estimators/neighbors/index.ts"),
  "neural-network": () => import("./estimators/neural-network/index.ts"),
  preprocessing: () => import("./estimators/preprocessing/index.ts"),
  svm: () => import("./estimators/svm/index.ts"),
  trees: () => import("./estimators/trees/index.ts"),
};

/** The family that builds each class. */
export const FAMILY_OF: Readonly<Record<string, Family>> = {
  AdaBoostClassifier: "ensemble",
  AdaBoostRegressor: "ensemble",
  BaggingClassifier: "ensemble",
  BaggingRegressor: "ensemble",
  BernoulliNB: "naive-bayes",
  CalibratedClassifierCV: "ensemble",
  ClassifierChain: "multiclass",
  ColumnTransformer: "preprocessing",
  ComplementNB: "naive-bayes",
  CountVectorizer: "preprocessing",
  DecisionTreeClassifier: "trees",
  DecisionTreeRegressor: "trees",
  DictVectorizer: "preprocessing",
  DummyClassifier: "boosting",
  DummyRegressor: "boosting",
  ElasticNet: "linear",
  ExtraTreeClassifier: "trees",
  ExtraTreeRegressor: "trees",
  ExtraTreesClassifier: "trees",
  ExtraTreesRegressor: "trees",
  FeatureUnion: "composition",
  FunctionTransformer: "preprocessing",
  GaussianNB: "naive-bayes",
  GradientBoostingClassifier: "boosting",
  GradientBoostingRegressor: "boosting",
  GridSearchCV: "composition",
  HalvingGridSearchCV: "composition",
  HalvingRandomSearchCV: "composition",
  HashingVectorizer: "preprocessing",
  HistGradientBoostingClassifier: "boosting",
  HistGradientBoostingRegressor: "boosting",
  IsolationForest: "trees",
  IsotonicRegression: "ensemble",
  KBinsDiscretizer: "preprocessing",
  KMeans: "cluster",
  KNeighborsClassifier: "neighbors",
  KNeighborsRegressor: "neighbors",
  LGBMClassifier: "boosting",
  LGBMRegressor: "boosting",
  LabelEncoder: "preprocessing",
  Lasso: "linear",
  LinearRegression: "linear",
  LinearSVC: "linear",
  LinearSVR: "linear",
  LogisticRegression: "linear",
  MLPClassifier: "neural-network",
  MLPRegressor: "neural-network",
  MaxAbsScaler: "preprocessing",
  MinMaxScaler: "preprocessing",
  MissingIndicator: "preprocessing",
  MultiOutputClassifier: "multiclass",
  MultiOutputRegressor: "multiclass",
  MultinomialNB: "naive-bayes",
  NearestNeighbors: "neighbors",
  Normalizer: "preprocessing",
  NuSVC: "svm",
  NuSVR: "svm",
  OneHotEncoder: "preprocessing",
  OneVsOneClassifier: "multiclass",
  OneVsRestClassifier: "multiclass",
  OrdinalEncoder: "preprocessing",
  PCA: "preprocessing",
  Perceptron: "linear",
  Pipeline: "composition",
  PolynomialFeatures: "preprocessing",
  PowerTransformer: "preprocessing",
  QuantileTransformer: "preprocessing",
  RFE: "preprocessing",
  RFECV: "preprocessing",
  RandomForestClassifier: "trees",
  RandomForestRegressor: "trees",
  RandomizedSearchCV: "composition",
  RegressorChain: "multiclass",
  Ridge: "linear",
  RidgeClassifier: "linear",
  RobustScaler: "preprocessing",
  SGDClassifier: "linear",
  SGDRegressor: "linear",
  SVC: "svm",
  SVR: "svm",
  SelectFdr: "preprocessing",
  SelectFpr: "preprocessing",
  SelectFwe: "preprocessing",
  SelectKBest: "preprocessing",
  SelectPercentile: "preprocessing",
  SimpleImputer: "preprocessing",
  SplineTransformer: "preprocessing",
  StackingClassifier: "ensemble",
  StackingRegressor: "ensemble",
  StandardScaler: "preprocessing",
  TargetEncoder: "preprocessing",
  TfidfTransformer: "preprocessing",
  TfidfVectorizer: "preprocessing",
  TransformedTargetRegressor: "composition",
  VarianceThreshold: "preprocessing",
  VotingClassifier: "ensemble",
  VotingRegressor: "ensemble",
  XGBClassifier: "boosting",
  XGBRegressor: "boosting",
  _ConstantPredictor: "multiclass",
};

/**
 * The builders of the families loaded so far, by class name. A class that is allow-listed but has no
 * builder here once {@link loadBuildersFor} ran is refused at load time.
 */
export const ESTIMATOR_BUILDERS: BuilderTable = {};

const loading = new Map<Family, Promise<void>>();

/** Imports a family (once) and adds its builders to {@link ESTIMATOR_BUILDERS}. */
export function loadFamily(family: Family): Promise<void> {
  let p = loading.get(family);
  if (!p) {
    p = FAMILIES[family]().then(
      (m) => {
        Object.assign(ESTIMATOR_BUILDERS, m.builders);
      },
      (err: unknown) => {
        // Not kept: the next load that needs the family tries again.
        loading.delete(family);
        throw err;
      },
    );
    loading.set(family, p);
  }
  return p;
}

/** Every family, loaded (the audit and tests that enumerate builders). */
export async function loadAllFamilies(): Promise<void> {
  await Promise.all((Object.keys(FAMILIES) as Family[]).map(loadFamily));
}

/**
 * Loads the families of every class an unpickled value holds (objects inside lists, tuples, dicts and
 * other objects' state, each visited once), so that a synchronous build finds all its builders.
 */
export async function loadBuildersFor(value: PyValue): Promise<void> {
  const needed = new Set<Family>();
  const seen = new Set<object>();
  const stack: object[] = [];
  // Only containers are pushed: numbers, strings and typed arrays (most of a model) hold no class.
  const push = (x: unknown) => {
    if (typeof x === "object" && x !== null && !ArrayBuffer.isView(x)) stack.push(x);
  };
  const pushEntry = (x: unknown, k: unknown) => {
    push(k);
    push(x);
  };
  push(value);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if ((v as { kind?: unknown }).kind === "object") {
      const family = FAMILY_OF[(v as PyObject).name];
      if (family && !loading.has(family)) needed.add(family);
    }
    // Every shape alike (lists, tuples, sets, dicts, object arrays, state, arguments): its values.
    // Indexed loops and Map's forEach, not for-of: this walk runs once per load, cold, where an
    // interpreted iterator costs several times an indexed read (a forest's ~13 000 values).
    if (v instanceof Map) v.forEach(pushEntry);
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) push(v[i]);
    else {
      const values = Object.values(v);
      for (let i = 0; i < values.length; i++) push(values[i]);
    }
  }
  await Promise.all([...needed].map(loadFamily));
  // Families another load started meanwhile must have finished too.
  await Promise.all(loading.values());
}
