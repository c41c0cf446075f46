/**
 * The inference pool answers as the event loop does: every scikit-learn fixture (the tree families —
 * alone, in pipelines, containers and meta-estimators, pickled XGBoost/LightGBM wrappers — and every
 * other estimator), every XGBoost and LightGBM fixture, bound on pool threads from its shared-memory
 * recipe, gives bit for bit the inline model's predictions, probabilities, decision functions,
 * transforms and raw scores (or the same error). The recipe's arrays are all `SharedArrayBuffer`s, and
 * reach the threads as such: they bind the loader's memory, not a copy.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import { placeModel } from "../../../src/inference/pool/placement.ts";
import { setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { viewsIn } from "../../../src/runtimes/loading/transfer.ts";
import type { FeatureTable, LoadedModel } from "../../../src/runtimes/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { TREE_FIXTURES } from "../../runtimes/sklearn/tree-fixtures.ts";

const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));

interface Case {
  readonly name: string;
  readonly file: string;
  readonly rows: unknown[];
}

const rowsOf = (dir: string): unknown[] => JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));

const sk = join(fixtures, "sklearn");
const cases: Case[] = [
  ...readdirSync(sk).flatMap((v) =>
    readdirSync(join(sk, v))
      .filter((c) => existsSync(join(sk, v, c, "info.json")))
      .map((c) => {
        const dir = join(sk, v, c);
        const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8")) as { file: string };
        return { name: `sklearn/${v}/${c}`, file: join(dir, info.file), rows: rowsOf(dir) };
      }),
  ),
  ...readdirSync(join(fixtures, "explain", "sklearn")).map((c) => {
    const dir = join(fixtures, "explain", "sklearn", c);
    return { name: `explain/${c}`, file: join(dir, "model.joblib"), rows: rowsOf(dir) };
  }),
  ...["xgboost", "lightgbm"].flatMap((lib) =>
    readdirSync(join(fixtures, lib)).map((c) => {
      const dir = join(fixtures, lib, c);
      const file = readdirSync(dir).find((f) => f.startsWith("model."))!;
      return { name: `${lib}/${c}`, file: join(dir, file), rows: rowsOf(dir) };
    }),
  ),
];

// As a server that may place models on the pool loads them: arrays in shared memory.
const previous = setLoadLimits({ sharedMemory: true });
const pool = new InferencePool(2);
after(async () => {
  setLoadLimits(previous);
  await pool.close();
});

/** A call's answer, or its error code: both paths must agree on either. */
async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err as Error).message };
  }
}

const METHODS = ["predict", "predictProba", "decisionFunction", "transform", "rawScore"] as const;

/** Each method's answer on a fresh copy of the rows' table, and `predict` then `predictProba` on one table (as `infer` calls them). */
async function answers(m: LoadedModel, rows: unknown[]): Promise<Record<string, unknown>> {
  const table = (): FeatureTable => tableFromRows(m.signature, rows);
  const out: Record<string, unknown> = {};
  for (const method of METHODS) {
    const f = m[method] as ((t: FeatureTable) => Promise<unknown>) | undefined;
    out[method] = f ? await outcome(() => f(table())) : "absent";
  }
  const t = table();
  out.inferPair = await outcome(async () => [await m.predict(t), await m.predictProba?.(t)]);
  return out;
}

describe("the inference pool answers as inline", () => {
  it("covers every scikit-learn fixture (the tree families among them), XGBoost and LightGBM", () => {
    for (const p of [
      "trees-rf-nan",
      "boost-gb-bc",
      "hgb-bc-nan",
      "iforest-default",
      "xgb-classifier-iris",
      "lgbm-regressor",
    ])
      assert.ok(
        cases.some((c) => c.name.endsWith(p)),
        p,
      );
    assert.ok(cases.filter((c) => TREE_FIXTURES.test(c.name.split("/").at(-1)!)).length >= 150);
    assert.ok(cases.filter((c) => c.name.startsWith("sklearn/")).length >= 500);
    assert.ok(cases.filter((c) => c.name.startsWith("xgboost/")).length >= 30);
    assert.ok(cases.filter((c) => c.name.startsWith("lightgbm/")).length >= 20);
  });

  for (const c of cases) {
    it(`${c.name}: pool threads answer bit for bit as the event loop`, async () => {
      const inline = await loadModel(c.file);
      assert.ok(inline.shared, "the model has a shared-memory recipe");
      const views = viewsIn(inline.shared.data);
      assert.ok(views.length > 0);
      assert.deepStrictEqual(
        views.filter((v) => !(v.buffer instanceof SharedArrayBuffer)).map((v) => v.constructor.name),
        [],
        "every array of the recipe is in shared memory",
      );
      const placed = await placeModel(inline, pool, {
        name: c.name,
        version: "1",
        mode: "pool",
        maxBatchRows: 1000,
      });
      assert.equal(placed.facts.mode, "pool", placed.facts.reason);
      // The threads received the arrays as shared memory too (a copy would arrive as ArrayBuffers).
      for (const h of await pool.heldDetails()) assert.deepStrictEqual(h.sharedOnly, [true]);
      const before = pool.stats().calls;
      try {
        assert.deepStrictEqual(await answers(placed.model, c.rows), await answers(inline, c.rows));
        assert.ok(pool.stats().calls > before, "the calls ran on the pool");
      } finally {
        await placed.model.close?.();
      }
    });
  }

  it("releases every binding from every thread", async () => {
    assert.deepStrictEqual(await pool.held(), [[], []]);
  });
});
