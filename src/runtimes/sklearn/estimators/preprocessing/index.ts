/**
 * @module The transformers modelserve rebuilds (`sklearn.preprocessing`, `impute`, `decomposition`,
 * `feature_extraction`, `feature_selection`, and `ColumnTransformer` from `compose`), by Python class name.
 */

import type { BuilderTable } from "../../estimator.ts";
import { columnTransformer } from "./column-transformer.ts";
import { dictVectorizer } from "./dict-vectorizer.ts";
import { rfe, selector } from "./feature-selection.ts";
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
import { maxAbsScaler, minMaxScaler, normalizer, robustScaler, standardScaler } from "./scalers.ts";
import { splineTransformer } from "./spline-transformer.ts";
import { targetEncoder } from "./target-encoder.ts";
import { countVectorizer, hashingVectorizer, tfidfTransformer, tfidfVectorizer } from "./text-vectorizers.ts";

/** The preprocessing builders. */
export const builders: BuilderTable = {
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  MaxAbsScaler: maxAbsScaler,
  Normalizer: normalizer,
  SimpleImputer: simpleImputer,
  MissingIndicator: missingIndicator,
  PCA: pca,
  PolynomialFeatures: polynomialFeatures,
  SplineTransformer: splineTransformer,
  KBinsDiscretizer: kbinsDiscretizer,
  QuantileTransformer: quantileTransformer,
  PowerTransformer: powerTransformer,
  OneHotEncoder: oneHotEncoder,
  OrdinalEncoder: ordinalEncoder,
  TargetEncoder: targetEncoder,
  LabelEncoder: labelEncoder,
  DictVectorizer: dictVectorizer,
  CountVectorizer: countVectorizer,
  TfidfVectorizer: tfidfVectorizer,
  TfidfTransformer: tfidfTransformer,
  HashingVectorizer: hashingVectorizer,
  ColumnTransformer: columnTransformer,
  FunctionTransformer: functionTransformer,
  VarianceThreshold: selector,
  SelectKBest: selector,
  SelectPercentile: selector,
  SelectFpr: selector,
  SelectFdr: selector,
  SelectFwe: selector,
  RFE: rfe,
  RFECV: rfe,
};
