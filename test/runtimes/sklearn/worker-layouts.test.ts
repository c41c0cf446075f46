/**
 * Tree models laid out in the loader worker: the worker sends the arrays its dry-run build prepared,
 * keyed by the very objects of the value the main thread receives; the main thread only binds them,
 * after checking their shapes. A model built that way answers bit for bit as one built with the worker
 * off (predictions, probabilities, decision functions, NaN rows, TreeSHAP explanations, typical values).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { PyObject, PyValue } from "../../../src/formats/pickle/py-objects.ts";
import { loadLimits, setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { runLoaderWorker, sharedCopy } from "../../../src/runtimes/loading/loader-worker-host.ts";
import type { FeatureTable, LoadedModel } from "../../../src/runtimes/runtime.ts";
import { adoptLayouts } from "../../../src/runtimes/sklearn/layouts.ts";
import { modelFromValue, type PickleWorkerResult } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";
import { TREE_FIXTURES } from "./tree-fixtures.ts";

const sk = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const explain = fileURLToPath(new URL("../../fixtures/explain/sklearn/", import.meta.url));
const worker = new URL("../../../src/runtimes/sklearn/pickle-worker.ts", import.meta.url);

interface Case {
  readonly name: string;
  readonly file: string;
  readonly rows: unknown[];
}

const cases: Case[] = [
  ...readdirSync(sk).flatMap((v) =>
    readdirSync(join(sk, v))
      .filter((c) => TREE_FIXTURES.test(c))
      .map((c) => {
        const dir = join(sk, v, c);
        const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8")) as { file: string };
        return {
          name: `${v}/${c}`,
          file: join(dir, info.file),
          rows: JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8")) as unknown[],
        };
      }),
  ),
  ...readdirSync(explain).map((c) => ({
    name: `explain/${c}`,
    file: join(explain, c, "model.joblib"),
    rows: JSON.parse(readFileSync(join(explain, c, "inputs.json"), "utf8")) as unknown[],
  })),
];

const previous = loadLimits();
after(() => setLoadLimits(previous));

async function load(file: string, inWorker: boolean): Promise<LoadedModel> {
  setLoadLimits({ worker: inWorker });
  try {
    return await loadModel(file);
  } finally {
    setLoadLimits({ worker: previous.worker });
  }
}

/** A call's answer, or its error code: both paths must agree on either. */
async function outcome(f: (() => Promise<unknown>) | undefined): Promise<unknown> {
  if (!f) return undefined;
  try {
    return await f();
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

/** The fixture rows, then (when every input takes missing values) each row-0 input set missing in turn. */
function rowsWithMissing(m: LoadedModel, rows: unknown[]): unknown[] {
  if (!m.signature.inputs.every((f) => f.nullable)) return rows;
  const first = rows[0];
  const names = m.signature.inputs.map((f) => f.name);
  const holes = names.map((_, j) =>
    Array.isArray(first)
      ? first.map((v, i) => (i === j ? null : v))
      : { ...(first as Record<string, unknown>), [names[j]]: null },
  );
  return [...rows, ...holes];
}

/** Every object reachable from a value (to check the layouts' keys are objects of the value itself). */
function objectsOf(root: PyValue): Set<PyObject> {
  const out = new Set<PyObject>();
  const seen = new Set<unknown>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    if ((v as { kind?: string }).kind === "object") out.add(v as PyObject);
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (Array.isArray(v)) stack.push(...v);
    else stack.push(...Object.values(v));
  }
  return out;
}

async function fromWorker(file: string): Promise<PickleWorkerResult> {
  const bytes = readFileSync(file);
  return runLoaderWorker<PickleWorkerResult>(worker, { bytes: sharedCopy(bytes), fileName: file }, file);
}

describe("sklearn trees laid out in the loader worker", () => {
  it("covers every tree family", () => {
    for (const p of [
      "trees-rf-nan",
      "boost-gb-bc",
      "hgb-bc-nan",
      "iforest-default",
      "trees-multi-rfr",
      "xgb-classifier-iris",
      "lgbm-regressor",
      "nested-xgb-stacking",
    ])
      assert.ok(
        cases.some((c) => c.name.endsWith(p)),
        p,
      );
    assert.ok(cases.length >= 80, `${cases.length} fixtures`);
  });

  for (const c of cases) {
    it(`${c.name}: the worker's layouts answer as a build with the worker off`, async () => {
      const r = await fromWorker(c.file);
      const keys = [...r.layouts.keys()];
      assert.ok(keys.length > 0, "the worker prepared layouts");
      // postMessage kept object identity: the layouts are keyed by the value's own objects.
      const objects = objectsOf(r.value);
      assert.ok(
        keys.every((o) => objects.has(o)),
        "every layout is keyed by an object of the value",
      );

      const on = await load(c.file, true);
      const off = await load(c.file, false);
      assert.deepStrictEqual(on.signature, off.signature);
      assert.deepStrictEqual(on.typicalValues, off.typicalValues);
      const table = tableFromRows(off.signature, rowsWithMissing(off, c.rows));
      const answers = (
        m: LoadedModel,
      ): Record<string, ((t: FeatureTable) => Promise<unknown>) | undefined> => ({
        predict: m.predict,
        predictProba: m.predictProba,
        decisionFunction: m.decisionFunction,
        explain: m.explain,
      });
      const a = answers(on);
      const b = answers(off);
      for (const method of Object.keys(a)) {
        const fa = a[method];
        const fb = b[method];
        assert.equal(fa === undefined, fb === undefined, method);
        assert.deepStrictEqual(
          await outcome(fa && (() => fa(table))),
          await outcome(fb && (() => fb(table))),
          method,
        );
      }
    });
  }

  // How a forest finds its leaves is chosen from its shape (QuickScorer's work against the walk's
  // steps: common/quick-scorer.ts); both ways must give the same answers, whichever is chosen.
  it("answers the same with every forest's leaves found either way (QuickScorer or the walk)", async () => {
    let forced = 0;
    for (const c of cases.filter((x) => !x.name.startsWith("explain/") || /forest/.test(x.name))) {
      const off = await load(c.file, false);
      const table = tableFromRows(off.signature, rowsWithMissing(off, c.rows));
      const want = await outcome(() => (off.predictProba ?? off.predict)(table));
      for (const way of [true, false]) {
        const r = await fromWorker(c.file);
        let choices = 0;
        for (const byName of r.layouts.values())
          for (const [name, v] of byName)
            if (/\/quick$/.test(name) && v !== null) {
              // No work (always chosen) or endless work (never chosen).
              (v as { work: number }).work = way ? 0 : Number.POSITIVE_INFINITY;
              choices++;
            }
        if (choices === 0) break;
        forced++;
        adoptLayouts(r.layouts);
        const source = { path: c.file, fileName: c.file, bytes: readFileSync(c.file) };
        const m = await modelFromValue(r.value, source);
        assert.deepStrictEqual(
          await outcome(() => (m.predictProba ?? m.predict)(table)),
          want,
          `${c.name}, ${way ? "QuickScorer" : "the walk"}`,
        );
      }
    }
    assert.ok(forced >= 10, `${forced} fixture builds forced one way or the other`);
  });

  it("sends no tree records its layouts replace, and the small arrays as views of a few buffers", async () => {
    const r = await fromWorker(join(explain, "random_forest_regressor_nan", "model.joblib"));
    const trees = [...objectsOf(r.value)].filter((o) => o.name === "Tree");
    assert.equal(trees.length, 25);
    assert.ok(
      trees.every((t) => t.state === null),
      "each Tree's pickled state (int64 node records) stayed in the worker",
    );
    const buffers = new Set<ArrayBufferLike>();
    let views = 0;
    for (const byName of r.layouts.values())
      for (const v of byName.values()) {
        const stack: unknown[] = [v];
        while (stack.length > 0) {
          const x = stack.pop();
          if (ArrayBuffer.isView(x)) {
            buffers.add(x.buffer);
            views++;
          } else if (typeof x === "object" && x !== null) stack.push(...Object.values(x));
        }
      }
    // Ten arrays a tree at least; all but the forest's packed arrays share one buffer.
    assert.ok(views >= 250 && buffers.size < views / 20, `${views} arrays in ${buffers.size} buffers`);
  });

  it("binds the worker's arrays: a changed layout changes the answers", async () => {
    const file = join(explain, "random_forest_classifier_iris", "model.joblib");
    const rows = JSON.parse(
      readFileSync(join(explain, "random_forest_classifier_iris", "inputs.json"), "utf8"),
    );
    const source = { path: file, fileName: "model.joblib", bytes: readFileSync(file) };
    const plain = await fromWorker(file);
    adoptLayouts(plain.layouts);
    const honest = await modelFromValue(plain.value, source);
    const changed = await fromWorker(file);
    const forest = [...changed.layouts].find(([o]) => o.name === "RandomForestClassifier");
    assert.ok(forest, "the forest's own layout was sent");
    const proba = forest[1].get("forest-proba/3") as { proba: Float64Array };
    proba.proba.fill(0.25);
    adoptLayouts(changed.layouts);
    const m = await modelFromValue(changed.value, source);
    const table = tableFromRows(m.signature, rows);
    const p = await m.predictProba!(table);
    assert.ok(
      p.data.every((v) => v === 0.25),
      "the probabilities come from the layout the worker sent",
    );
    const h = await honest.predictProba!(table);
    assert.ok(h.data.some((v) => v !== 0.25));
  });

  it("refuses a layout whose shape does not fit, with MS_INCONSISTENT_MODEL", async () => {
    const file = join(explain, "random_forest_regressor_nan", "model.joblib");
    const source = { path: file, fileName: "model.joblib", bytes: readFileSync(file) };
    for (const [what, spoil] of [
      ["a tree's thresholds", (l: Map<string, unknown>) => shorten(l, /^tree\//, "nodes", "threshold")],
      ["a tree's walk layout", (l: Map<string, unknown>) => shorten(l, /^tree\//, "lockstep", "kids")],
      ["a tree's heights", (l: Map<string, unknown>) => shorten(l, /^tree\//, "lockstep", "height")],
      ["the typical values", (l: Map<string, unknown>) => shortenTop(l, /^split-medians\//)],
    ] as const) {
      const r = await fromWorker(file);
      let spoiled = 0;
      for (const byName of r.layouts.values()) spoiled += spoil(byName);
      assert.ok(spoiled > 0, `${what}: spoiled`);
      adoptLayouts(r.layouts);
      await assert.rejects(
        modelFromValue(r.value, source),
        (e: { code?: string; message?: string }) =>
          e.code === "MS_INCONSISTENT_MODEL" && /layout the loader prepared/.test(e.message ?? ""),
        what,
      );
    }
  });
});

/** Replaces `layout[group][field]` of the layouts named like `name` with one element fewer. */
function shorten(layouts: Map<string, unknown>, name: RegExp, group: string, field: string): number {
  let n = 0;
  for (const [k, v] of layouts) {
    if (!name.test(k)) continue;
    const g = (v as Record<string, Record<string, Float64Array | Int32Array>>)[group];
    g[field] = g[field].subarray(1);
    n++;
  }
  return n;
}

/** Replaces the layouts named like `name` (typed arrays) with one element fewer. */
function shortenTop(layouts: Map<string, unknown>, name: RegExp): number {
  let n = 0;
  for (const [k, v] of layouts) {
    if (!name.test(k)) continue;
    layouts.set(k, (v as Float64Array).subarray(1));
    n++;
  }
  return n;
}
