/**
 * A few rows take a forest's own path (every tree of the packed forest, eight trees in lock step, the
 * branching walk for rows with NaN), a batch of eight rows or more the per-tree lock-step walk, which
 * the fixture tests check against scikit-learn. Over every tree-family fixture (forests alone and
 * inside pipelines, containers and meta-estimators): each row alone, and in runs of three and seven,
 * gets bit for bit the batch's probabilities and predictions.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import type { LoadedModel, Matrix, PredictOutput } from "../../../src/runtimes/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { TREE_FIXTURES } from "./tree-fixtures.ts";

const sk = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const cases = readdirSync(sk)
  .filter((v) => /^\d/.test(v))
  .flatMap((v) =>
    readdirSync(join(sk, v))
      .filter((c) => TREE_FIXTURES.test(c) && existsSync(join(sk, v, c, "info.json")))
      .map((c) => ({ name: `${v}/${c}`, dir: join(sk, v, c) })),
  );

/** Row `r` of a matrix as numbers (NaN and -0 kept: compared with Object.is). */
const rowOf = (m: Matrix, r: number) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols));

/** One entry per row of a predict output (labels, label rows or value rows). */
function perRow(out: PredictOutput, rows: number): unknown[] {
  if (out.kind === "labels") return [...out.labels];
  if (out.kind === "label-rows") return out.labels.map((l) => [...l]);
  if (out.kind === "values") return Array.from({ length: rows }, (_, r) => rowOf(out.values, r));
  return [out];
}

async function answers(m: LoadedModel, rows: unknown[]) {
  const proba = m.predictProba ? await m.predictProba(tableFromRows(m.signature, rows)) : undefined;
  const pred = await m.predict(tableFromRows(m.signature, rows));
  return {
    proba: proba ? Array.from({ length: rows.length }, (_, r) => rowOf(proba, r)) : undefined,
    predict: perRow(pred, rows.length),
  };
}

describe("forests answer a few rows as they answer a batch", () => {
  it("covers the forests with and without NaN rows", () => {
    for (const p of ["1.9.1/trees-rf-nan", "1.9.1/trees-rf100-iris", "1.9.1/trees-rf-wine", "1.2.1/"])
      assert.ok(
        cases.some((c) => c.name.includes(p)),
        p,
      );
    assert.ok(cases.length >= 150, `${cases.length} fixtures`);
  });

  for (const c of cases) {
    it(`${c.name}: rows alone and in runs of 3 and 7 as in the batch`, async () => {
      const info = JSON.parse(readFileSync(join(c.dir, "info.json"), "utf8")) as { file: string };
      const rows = JSON.parse(readFileSync(join(c.dir, "inputs.json"), "utf8")) as unknown[];
      assert.ok(rows.length >= 8, "the batch takes the batch path");
      const m = await loadModel(join(c.dir, info.file));
      const batch = await answers(m, rows);
      for (const run of [1, 3, 7]) {
        for (let at = 0; at < rows.length; at += run) {
          const part = rows.slice(at, at + run);
          const got = await answers(m, part);
          assert.deepStrictEqual(
            got.predict,
            batch.predict.slice(at, at + run),
            `predict, rows ${at}+${run}`,
          );
          assert.deepStrictEqual(got.proba, batch.proba?.slice(at, at + run), `proba, rows ${at}+${run}`);
        }
      }
    });
  }
});
