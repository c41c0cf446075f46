/**
 * A few rows take the tree runtimes' single-row path (a forest's packed trees or a booster's trees,
 * eight trees at a time in lock step; the branching walk for rows with NaN and categorical trees), a
 * batch of eight rows or more the per-tree lock-step walk, which the fixture tests check against
 * scikit-learn, XGBoost and LightGBM; a forest's batch of more than 16 rows takes the per-tree walk up
 * to its last multiple of eight rows and the single-row path for the rest. Over every scikit-learn
 * tree-family fixture (forests and boosters alone and inside pipelines, containers and meta-estimators)
 * and every XGBoost and LightGBM fixture: each row alone, and in runs of 3, 7, 12, 23 and 31, gets bit
 * for bit the batch's predictions, probabilities and raw scores.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import type { LoadedModel, Matrix, PredictOutput } from "../../../src/runtimes/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { TREE_FIXTURES } from "../sklearn/tree-fixtures.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const sk = join(fixtures, "sklearn");
const cases = [
  ...readdirSync(sk)
    .filter((v) => /^\d/.test(v))
    .flatMap((v) =>
      readdirSync(join(sk, v))
        .filter((c) => TREE_FIXTURES.test(c) && existsSync(join(sk, v, c, "info.json")))
        .map((c) => {
          const dir = join(sk, v, c);
          const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8")) as { file: string };
          return { name: `sklearn/${v}/${c}`, dir, file: join(dir, info.file) };
        }),
    ),
  ...["xgboost", "lightgbm"].flatMap((lib) =>
    readdirSync(join(fixtures, lib)).map((c) => {
      const dir = join(fixtures, lib, c);
      const model = readdirSync(dir).find((f) => f.startsWith("model."))!;
      return { name: `${lib}/${c}`, dir, file: join(dir, model) };
    }),
  ),
];

/** Row `r` of a matrix as numbers (NaN and -0 kept: compared with Object.is). */
const rowOf = (m: Matrix, r: number) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));

/** One entry per row of a predict output (labels, label rows or value rows). */
function perRow(out: PredictOutput, rows: number): unknown[] {
  if (out.kind === "labels") return [...out.labels];
  if (out.kind === "label-rows") return out.labels.map((l) => [...l]);
  if (out.kind === "values") return Array.from({ length: rows }, (_, r) => rowOf(out.values, r));
  return [out];
}

/** Each row of a matrix-valued answer (or undefined when the model has no such method). */
async function matrixRows(f: LoadedModel["rawScore"], m: LoadedModel, rows: unknown[]) {
  if (!f) return undefined;
  const out = await f(tableFromRows(m.signature, rows));
  return Array.from({ length: rows.length }, (_, r) => rowOf(out, r));
}

async function answers(m: LoadedModel, rows: unknown[]) {
  const pred = await m.predict(tableFromRows(m.signature, rows));
  return {
    predict: perRow(pred, rows.length),
    proba: await matrixRows(m.predictProba, m, rows),
    raw: await matrixRows(m.rawScore, m, rows),
  };
}

describe("tree models answer a few rows as they answer a batch", () => {
  it("covers forests and boosters, with and without NaN rows and categorical splits", () => {
    for (const p of [
      "1.9.1/trees-rf-nan",
      "1.9.1/trees-rf100-iris",
      "1.9.1/trees-rf-wine",
      "sklearn/1.2.1/",
      "xgboost/v17_categorical_mixed",
      "xgboost/missing_nan_regressor",
      "xgboost/multi_target_per_tree",
      "xgboost/dart_binary",
      "lightgbm/",
    ])
      assert.ok(
        cases.some((c) => c.name.includes(p)),
        p,
      );
    assert.ok(cases.length >= 200, `${cases.length} fixtures`);
  });

  for (const c of cases) {
    it(`${c.name}: rows alone and in runs of 3, 7, 12, 23 and 31 as in the batch`, async () => {
      const rows = JSON.parse(readFileSync(join(c.dir, "inputs.json"), "utf8")) as unknown[];
      // Forests answer up to 16 rows row by row, boosters fewer than 8: more rows take the batch path.
      assert.ok(rows.length > 16, "the batch takes the batch path");
      const m = await loadModel(c.file);
      const batch = await answers(m, rows);
      for (const run of [1, 3, 7, 12, 23, 31]) {
        for (let at = 0; at < rows.length; at += run) {
          const part = rows.slice(at, at + run);
          const got = await answers(m, part);
          assert.deepStrictEqual(
            got.predict,
            batch.predict.slice(at, at + run),
            `predict, rows ${at}+${run}`,
          );
          assert.deepStrictEqual(got.proba, batch.proba?.slice(at, at + run), `proba, rows ${at}+${run}`);
          assert.deepStrictEqual(got.raw, batch.raw?.slice(at, at + run), `raw scores, rows ${at}+${run}`);
        }
      }
    });
  }
});
