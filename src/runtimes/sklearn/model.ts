/**
 * @module A rebuilt scikit-learn estimator as a served model: the feature table handed to it as dense
 * numbers or mixed columns, `predict`/`predict_proba` sharing one conversion (and one probability
 * computation when labels are their argmax), transforms answered as dense matrices within a bound.
 */

import { Errors } from "../../errors.ts";
import { typicalFromMedians } from "../common/typical-values.ts";
import type { FeatureTable, Label, Matrix, RuntimeModel } from "../runtime.ts";
import { argmaxLabels, DataError, dense } from "./data.ts";
import type { SkData, SkEstimator } from "./estimator.ts";
import { sklearnExplainer } from "./explain-model.ts";
import { signatureOf } from "./signature.ts";

/** The table as estimator input: dense numbers, or named mixed columns when strings are present. */
export function dataOf(table: FeatureTable): SkData {
  const width = table.columns.length;
  if (table.strings.every((s) => s === undefined))
    return { kind: "dense", rows: table.rows, cols: width, data: table.numeric };
  return {
    kind: "frame",
    rows: table.rows,
    columns: table.columns.map((name, j) => {
      const s = table.strings[j];
      if (s) return { name, values: s };
      const v = new Float64Array(table.rows);
      for (let r = 0; r < table.rows; r++) v[r] = table.numeric[r * width + j];
      return { name, values: v };
    }),
  };
}

/** Runs an estimator method, turning data errors into clean request errors. */
export function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DataError)
      throw Errors.invalidInput([{ code: "WRONG_TYPE", field: "row", message: err.message }]);
    throw err;
  }
}

/** Cells a sparse transform may expand to in an answer (8 bytes each: 128 MiB). */
const MAX_DENSE_ANSWER_CELLS = 16 * 1024 * 1024;

/**
 * A transform's output as an answer matrix. Sparse outputs (text vectorizers) are expanded, as
 * `.toarray()` would, up to a bound that keeps one request from exhausting memory.
 */
function answerOf(est: SkEstimator, out: SkData): Matrix {
  if (out.kind === "frame")
    throw Errors.unsupportedModel(est.className, "a transform that answers with non-numeric columns");
  if (out.kind === "csr" && out.rows * out.cols > MAX_DENSE_ANSWER_CELLS)
    throw Errors.limitExceeded(
      est.className,
      `an answer of ${out.rows} × ${out.cols} values (at most ${MAX_DENSE_ANSWER_CELLS}); send fewer rows per request`,
    );
  const d = dense(out);
  return { rows: d.rows, cols: d.cols, data: d.data };
}

/** Wraps an estimator as a runtime model. */
export function estimatorModel(
  est: SkEstimator,
  details: { format: string; version?: string },
): RuntimeModel {
  const signature = signatureOf(est);
  if (!est.predict && !est.transform && !est.predictLabelRows)
    throw Errors.unsupportedModel(est.className, "an estimator without predict or transform");
  // /predict asks for labels, then probabilities, of the same table: convert it once and, when the
  // labels are the probabilities' argmax, compute the probabilities once (a one-slot cache: the
  // calls are synchronous, so no other table can come between them).
  let lastTable: FeatureTable | undefined;
  let lastData: SkData | undefined;
  let lastProba: Matrix | undefined;
  const data = (t: FeatureTable): SkData => {
    if (t !== lastTable || lastData === undefined) {
      lastData = dataOf(t);
      lastTable = t;
      lastProba = undefined;
    }
    return lastData;
  };
  const proba = (t: FeatureTable): Matrix => {
    const d = data(t);
    lastProba ??= est.predictProba!(d);
    return lastProba;
  };
  const classes = est.classes;
  const viaProba =
    est.predictIsArgmaxProba === true && est.predictProba !== undefined && classes !== undefined;
  // A StandardScaler in front knows each input's training mean and spread: drift checks can use them.
  const moments = est.trainingMoments?.();
  const trainingStats =
    moments && moments.mean.length === signature.inputs.length
      ? Object.fromEntries(
          signature.inputs.map((f, i) => [f.name, { mean: moments.mean[i], std: moments.std[i] }]),
        )
      : undefined;
  const typicalValues = typicalFromMedians(est.splitMedians?.(), signature.inputs);
  return {
    signature,
    ...(trainingStats ? { trainingStats } : {}),
    ...(typicalValues ? { typicalValues } : {}),
    details: {
      format: details.format,
      framework: "scikit-learn",
      ...(details.version ? { frameworkVersion: details.version } : {}),
      modelType: est.className,
    },
    async predict(t) {
      return guarded(() => {
        if (est.predictLabelRows)
          return { kind: "label-rows" as const, labels: est.predictLabelRows(data(t)) };
        if (!est.predict) {
          const out = answerOf(est, est.transform!(data(t)));
          return { kind: "values" as const, values: out };
        }
        if (viaProba) return { kind: "labels" as const, labels: argmaxLabels(proba(t), classes) };
        const out = est.predict(data(t));
        if (Array.isArray(out)) return { kind: "labels" as const, labels: out as Label[] };
        const d = out as { rows: number; cols: number; data: Float64Array };
        return { kind: "values" as const, values: { rows: d.rows, cols: d.cols, data: d.data } };
      });
    },
    predictProba: est.predictProba ? async (t): Promise<Matrix> => guarded(() => proba(t)) : undefined,
    decisionFunction: est.decisionFunction
      ? async (t): Promise<Matrix> => guarded(() => est.decisionFunction!(dataOf(t)))
      : undefined,
    transform: est.transform
      ? async (t): Promise<Matrix> =>
          guarded(() => {
            return answerOf(est, est.transform!(data(t)));
          })
      : undefined,
    explain: est.explain ? sklearnExplainer(est, signature, (t) => guarded(() => dataOf(t))) : undefined,
  };
}
