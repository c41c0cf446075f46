/** @module Tests of drift monitoring: the PSI formula, windows, crossings, statistics sources and endpoints. */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createBundle } from "../../src/bundle/create-bundle.ts";
import { loadBundle } from "../../src/bundle/open-bundle.ts";
import {
  compileReference,
  DriftMonitor,
  DriftTracker,
  PREDICTION_KEY,
  PSI_EPSILON,
  psi,
  statsFromRows,
} from "../../src/observability/drift.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { buildApp } from "../../src/server/app.ts";
import { silent } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ms-drift-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic uniform source (a linear congruential generator), so tests never flake. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const observeColumn = (m: DriftMonitor, values: number[]) =>
  m.observe({
    rows: values.length,
    columns: ["x"],
    numeric: Float64Array.from(values),
    strings: [undefined],
  });

describe("PSI", () => {
  it("is Σ (a − e)·ln(a/e), with empty shares floored at the documented epsilon", () => {
    // By hand: bins (0.5, 0.5) live vs (0.25, 0.75) expected:
    // (0.5−0.25)·ln(0.5/0.25) + (0.5−0.75)·ln(0.5/0.75) = 0.25·ln 2 − 0.25·ln(2/3).
    assert.equal(psi([0.5, 0.5], [0.25, 0.75]), 0.25 * Math.log(2) + -0.25 * Math.log(0.5 / 0.75));
    assert.equal(psi([0.3, 0.7], [0.3, 0.7]), 0);
    // An empty live bin counts as epsilon: (ε − 0.5)·ln(ε/0.5) + (1 − 0.5)·ln(1/0.5).
    assert.equal(
      psi([0, 1], [0.5, 0.5]),
      (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5) + 0.5 * Math.log(2),
    );
  });
});

describe("drift monitor", () => {
  const rand = lcg(7);
  const uniform = (lo: number, hi: number, n: number) =>
    Array.from({ length: n }, () => lo + (hi - lo) * rand());
  // Training data uniform on [0, 10): decile bins from 2 000 rows.
  const train = uniform(0, 10, 2000);
  const stats = statsFromRows(["x"], Float64Array.from(train), [undefined], train.length);

  it("computes decile bins from reference rows", () => {
    const b = stats.x.bins!;
    assert.equal(b.edges.length, 11);
    assert.equal(b.fractions.length, 10);
    for (const f of b.fractions) assert.ok(Math.abs(f - 0.1) < 0.002, `${f}`);
    assert.ok(Math.abs(stats.x.mean! - 5) < 0.2);
  });

  it("scores a window drawn from the training distribution near 0 and a shifted one above 0.2", () => {
    const same = new DriftMonitor(["x"], stats, { window: 2000, minRows: 100 });
    observeColumn(same, uniform(0, 10, 2000));
    assert.ok(same.scores()[0].psi! < 0.02, `same distribution: ${same.scores()[0].psi}`);
    const shifted = new DriftMonitor(["x"], stats, { window: 2000, minRows: 100 });
    observeColumn(shifted, uniform(4, 14, 2000));
    assert.ok(shifted.scores()[0].psi! > 0.2, `shifted: ${shifted.scores()[0].psi}`);
  });

  it("keeps a sliding window: old rows leave it, memory stays fixed", () => {
    const m = new DriftMonitor(["x"], stats, { window: 500, minRows: 100 });
    observeColumn(m, uniform(4, 14, 500));
    assert.ok(m.scores()[0].psi! > 0.2);
    observeColumn(m, uniform(0, 10, 500));
    assert.equal(m.scores()[0].window, 500);
    assert.ok(m.scores()[0].psi! < 0.06, `after the window turned over: ${m.scores()[0].psi}`);
  });

  it("reports nothing until the window holds minRows, and skips missing values", () => {
    const m = new DriftMonitor(["x"], stats, { window: 1000, minRows: 300 });
    observeColumn(m, [...uniform(0, 10, 200), Number.NaN, Number.NaN]);
    assert.deepEqual(m.scores(), [{ feature: "x", psi: null, window: 200 }]);
  });

  it("handles categories (unseen values in their own bin) and the prediction distribution", () => {
    const m = new DriftMonitor(
      ["plan"],
      {
        plan: { categories: { basic: 0.7, pro: 0.3 } },
        [PREDICTION_KEY]: { categories: { stay: 0.9, leave: 0.1 } },
      },
      { window: 100, minRows: 10 },
    );
    const plans = Array.from({ length: 100 }, (_, i) => (i < 50 ? "basic" : i < 80 ? "pro" : "enterprise"));
    m.observe({
      rows: 100,
      columns: ["plan"],
      numeric: new Float64Array(100),
      strings: [plans],
      predictions: plans.map((_, i) => (i < 90 ? "stay" : "leave")),
    });
    const [plan, pred] = m.scores();
    const expected = psi([0.5, 0.3, 0.2], [0.7, 0.3, 0]);
    assert.ok(Math.abs(plan.psi! - expected) < 1e-12);
    assert.ok(Math.abs(pred.psi!) < 1e-12);
  });

  it("approximates a mean/std-only feature with ten equally likely normal bins", () => {
    const r = compileReference("x", { mean: 5, std: 2 })!;
    assert.equal(r.expected.length, 10);
    assert.equal(r.cuts![4], 5);
    assert.ok(Math.abs(r.cuts![8] - (5 + 2 * 1.2815515655446004)) < 1e-12);
    assert.equal(
      compileReference("x", { bins: { edges: [1, 0], fractions: [1] } }),
      undefined,
      "bad edges are ignored",
    );
  });

  it("logs a warning once per crossing and once when it comes back", () => {
    const warnings: Record<string, unknown>[] = [];
    const t = new DriftTracker({ window: 300, minRows: 100, warn: (f) => void warnings.push(f) });
    const subject = {
      name: "m",
      version: "1",
      meta: { trainingStats: stats },
      model: { signature: { inputs: [{ name: "x" }] } },
    };
    const obs = (v: number[]) =>
      t.observe(subject, {
        rows: v.length,
        columns: ["x"],
        numeric: Float64Array.from(v),
        strings: [undefined],
      });
    obs(uniform(0, 10, 300));
    t.check();
    assert.equal(warnings.length, 0);
    obs(uniform(5, 15, 300));
    t.check();
    t.check();
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].feature, "x");
    assert.ok((warnings[0].psi as number) > 0.2);
    obs(uniform(0, 10, 300));
    t.check();
    assert.equal(warnings.length, 2);
  });
});

describe("drift sources and endpoints", () => {
  it("derives statistics from a StandardScaler at the front of a scikit-learn pipeline", async () => {
    const m = await loadModel(
      new URL("../fixtures/sklearn/1.9.1/prep-pipeline-logreg/model.joblib", import.meta.url).pathname,
    );
    const s = m.trainingStats!;
    assert.equal(Object.keys(s).length, m.signature.inputs.length);
    assert.ok(s.x0.std! > 0 && Number.isFinite(s.x0.mean!));
  });

  it("bundles statistics from --reference-data and serves PSI in /stats and /metrics", async () => {
    const model = new URL("../../examples/iris/models/random_forest.joblib", import.meta.url).pathname;
    const rand = lcg(3);
    const rows = Array.from({ length: 400 }, () => ({
      sepal_length: 4.5 + 3 * rand(),
      sepal_width: 2 + 2 * rand(),
      petal_length: 1 + 5 * rand(),
      petal_width: 0.1 + 2.3 * rand(),
    }));
    const ref = join(dir, "train.json");
    writeFileSync(ref, JSON.stringify(rows));
    const out = join(dir, "iris-1");
    const created = await createBundle(model, { name: "iris", version: "1", out, referenceData: ref });
    const st = created.manifest.trainingStats!;
    assert.deepEqual(Object.keys(st).sort(), [
      "$prediction",
      "petal_length",
      "petal_width",
      "sepal_length",
      "sepal_width",
    ]);
    assert.ok(st.$prediction.categories);
    assert.ok(JSON.parse(readFileSync(join(out, "modelserve.json"), "utf8")).trainingStats.sepal_length.bins);

    const registry = new ModelRegistry();
    const b = await loadBundle(out);
    registry.register("iris", "1", b.model, out, { trainingStats: b.manifest.trainingStats });
    const { fastify } = buildApp(registry, { logger: silent, drift: { window: 400, minRows: 100 } });
    // Live traffic with much longer petals than in training.
    const live = rows.map((r) => ({ ...r, petal_length: r.petal_length + 4 }));
    const res = await fastify.inject({ method: "POST", url: "/predict/batch", payload: { instances: live } });
    assert.equal(res.statusCode, 200);
    const stats = (await fastify.inject({ method: "GET", url: "/stats" })).json();
    const d = stats.drift.models[0];
    assert.equal(d.model, "iris");
    assert.ok(d.features.petal_length.psi > 0.2, `petal_length ${d.features.petal_length.psi}`);
    assert.ok(d.features.sepal_width.psi < 0.05, `sepal_width ${d.features.sepal_width.psi}`);
    assert.ok(d.features.$prediction.psi !== null);
    const metrics = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(metrics, /modelserve_drift_psi\{model="iris",version="1",feature="petal_length"\} [0-9.]+/);
    assert.match(metrics, /modelserve_prediction_drift_psi\{model="iris",version="1"\} [0-9.]+/);
    await fastify.close();
  });
});
