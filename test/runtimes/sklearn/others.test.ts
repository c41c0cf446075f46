/**
 * @module Tests of the SVM, neighbours, naive Bayes, MLP and KMeans builders beyond the shared
 * conformance suite: load-time refusals with clear messages, the floating-point kernels against
 * values recorded from Python (exact fractions, BLAS ddot, numpy, glibc), and fixture coverage.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import type { PyObject, PyValue } from "../../../src/formats/pickle/py-objects.ts";
import { fma } from "../../../src/runtimes/common/fma.ts";
import { libmExp } from "../../../src/runtimes/common/libm-exp.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { loadAllFamilies } from "../../../src/runtimes/sklearn/builders.ts";
import { multiclassProbability } from "../../../src/runtimes/sklearn/estimators/svm/libsvm.ts";
import { blasDot, gemvDot, sumSlice } from "../../../src/runtimes/sklearn/numeric.ts";
import { readPickle } from "../../../src/runtimes/sklearn/parse-pickle.ts";
import { stateOf } from "../../../src/runtimes/sklearn/py-access.ts";
import { buildEstimator, sklearnRuntime } from "../../../src/runtimes/sklearn/runtime.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

// buildEstimator is called directly here: every family's builders first (a load imports them itself).
await loadAllFamilies();

const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const refusals = join(fixtures, "sklearn-others");
const VERSIONS = ["1.2.1", "1.9.1"];

async function refusal(file: string): Promise<{ code: string; message: string }> {
  const bytes = readFileSync(file);
  try {
    await sklearnRuntime.load({ fileName: "m.joblib", bytes });
  } catch (e) {
    assert.ok(isModelServeError(e), `a ModelServeError, got ${e}`);
    return { code: e.code, message: e.message };
  }
  assert.fail(`${file} loaded`);
}

/** A fitted model from a fixture, unpickled, with one attribute replaced. */
async function mutated(file: string, key: string, value: PyValue): Promise<PyObject> {
  const obj = (await readPickle(readFileSync(file), "m.joblib")) as PyObject;
  stateOf(obj).set(key, value);
  return obj;
}

function refusedAtBuild(obj: PyObject, pattern: RegExp): void {
  assert.throws(
    () => buildEstimator(obj, "m.joblib"),
    (e: unknown) => isModelServeError(e) && e.code === "MS_UNSUPPORTED_MODEL" && pattern.test(e.message),
  );
}

describe("sklearn SVM, neighbours, naive Bayes, MLP, KMeans: refusals at load time", () => {
  for (const v of VERSIONS) {
    it(`refuses kernel='precomputed' (${v})`, async () => {
      const e = await refusal(join(refusals, v, "svc-precomputed.joblib"));
      assert.equal(e.code, "MS_UNSUPPORTED_MODEL");
      assert.match(e.message, /kernel='precomputed'/);
    });

    it(`refuses a metric it does not implement, naming it (${v})`, async () => {
      const e = await refusal(join(refusals, v, "knn-cosine.joblib"));
      assert.equal(e.code, "MS_UNSUPPORTED_MODEL");
      assert.match(e.message, /metric "cosine"/);
    });

    it(`refuses callable or unknown KNN weights and kernels (${v})`, async () => {
      const knn = join(fixtures, "sklearn", v, "knn-clf-uniform", "model.joblib");
      const fn: PyObject = { kind: "object", module: "builtins", name: "callable", args: [], state: null };
      refusedAtBuild(await mutated(knn, "weights", fn), /callable or unknown weights/);
      refusedAtBuild(await mutated(knn, "weights", "gaussian"), /callable or unknown weights/);
      const svc = join(fixtures, "sklearn", v, "svm-svc-rbf-iris", "model.joblib");
      refusedAtBuild(await mutated(svc, "kernel", "laplacian"), /kernel="laplacian"/);
      // A file claiming a sparse fit must hold its support vectors as a scipy sparse matrix.
      const fakeSparse = await mutated(svc, "_sparse", true);
      assert.throws(
        () => buildEstimator(fakeSparse, "m.joblib"),
        (e: unknown) =>
          isModelServeError(e) &&
          e.code === "MS_INVALID_MODEL" &&
          /not a scipy sparse matrix/.test(e.message),
      );
      const params: PyValue = {
        kind: "dict",
        map: new Map<string, PyValue>([
          ["p", 3],
          ["w", [1, 2, 3]],
        ]),
        otherEntries: [],
      };
      refusedAtBuild(await mutated(knn, "effective_metric_params_", params), /metric parameters \["w"\]/);
      const mlp = join(fixtures, "sklearn", v, "mlp-clf-binary", "model.joblib");
      refusedAtBuild(await mutated(mlp, "activation", "gelu"), /activation "gelu"/);
    });
  }
});

describe("sklearn SVM, neighbours, naive Bayes, MLP, KMeans: behaviour", () => {
  it("has fixtures of every family from both scikit-learn versions", () => {
    for (const v of VERSIONS) {
      const cases = readdirSync(join(fixtures, "sklearn", v));
      for (const family of ["svm-", "knn-", "nb-", "mlp-", "kmeans-"])
        assert.ok(cases.filter((c) => c.startsWith(family)).length >= 2, `${v} ${family}`);
    }
  });

  it("reads the public, sign-flipped SVC coefficients when the underscore ones are absent", async () => {
    for (const c of ["svm-svc-rbf-binary", "svm-svc-rbf-iris"]) {
      const dir = join(fixtures, "sklearn", "1.9.1", c);
      const obj = (await readPickle(readFileSync(join(dir, "model.joblib")), "m.joblib")) as PyObject;
      const state = stateOf(obj);
      for (const key of ["_dual_coef_", "_intercept_"]) state.delete(key);
      const est = buildEstimator(obj, "m.joblib");
      const rows: number[][] = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
      const x = {
        kind: "dense" as const,
        rows: rows.length,
        cols: rows[0].length,
        data: Float64Array.from(rows.flat()),
      };
      const e = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
      assert.deepEqual(Array.from(est.decisionFunction!(x).data), e.decision_function.flat());
    }
  });

  it("offers predict_proba on SVC only when fitted with probability=True", async () => {
    const plain = await loadModel(join(fixtures, "sklearn", "1.9.1", "svm-svc-rbf-iris", "model.joblib"));
    assert.equal(plain.predictProba, undefined);
    assert.equal(plain.signature.capabilities.predictProba, false);
    const proba = await loadModel(join(fixtures, "sklearn", "1.9.1", "svm-svc-proba-iris", "model.joblib"));
    assert.equal(proba.signature.capabilities.predictProba, true);
  });

  it("serves KMeans as a clusterer with integer labels", async () => {
    const m = await loadModel(join(fixtures, "sklearn", "1.2.1", "kmeans-iris", "model.joblib"));
    assert.equal(m.signature.output.task, "clustering");
    const out = await m.predict(tableFromRows(m.signature, [[5.1, 3.5, 1.4, 0.2]]));
    assert.equal(out.kind, "labels");
    assert.ok(out.kind === "labels" && Number.isInteger(out.labels[0]));
  });

  for (const v of VERSIONS) {
    it(`gives KMeans distances to the centres as scikit-learn's transform (${v})`, async () => {
      for (const c of ["kmeans-iris", "kmeans-wine-6"]) {
        const dir = join(fixtures, "sklearn", v, c);
        const e = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
        const m = await loadModel(join(dir, "model.joblib"));
        const t = await m.transform!(
          tableFromRows(m.signature, JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"))),
        );
        const want = e.transform as number[][];
        assert.equal(t.cols, want[0].length);
        want.forEach((row, i) => {
          row.forEach((x, j) => {
            const a = t.data[i * t.cols + j];
            assert.ok(Math.abs(a - x) <= 1e-12 * Math.abs(x), `${c} row ${i} centre ${j}: ${a} vs ${x}`);
          });
        });
      }
    });
  }

  it("gives weight 1 to exact matches and 0 to the rest with distance weights", async () => {
    const dir = join(fixtures, "sklearn", "1.9.1", "knn-clf-distance");
    const m = await loadModel(join(dir, "model.joblib"));
    // The first training row of the fixture (iris row 0), queried as is: a one-hot answer.
    const p = await m.predictProba!(tableFromRows(m.signature, [[5.1, 3.5, 1.4, 0.2]]));
    assert.deepEqual(Array.from(p.data), [1, 0, 0]);
  });

  it("couples pairwise probabilities as libsvm does: uniform pairs give a uniform answer", () => {
    const k = 4;
    const r = Array.from({ length: k }, () => new Float64Array(k).fill(0.5));
    const p = new Float64Array(k);
    multiclassProbability(k, r, p);
    assert.deepEqual(Array.from(p), [0.25, 0.25, 0.25, 0.25]);
  });
});

for (const v of VERSIONS) {
  describe(`floating-point kernels against values recorded with scikit-learn ${v}'s Python`, () => {
    const ref = JSON.parse(readFileSync(join(refusals, v, "numeric.json"), "utf8"));

    it("fma rounds a·b + c once, like exact fractions rounded", () => {
      for (const [a, b, c, want] of ref.fma as number[][])
        assert.ok(Object.is(fma(a, b, c), want), `${a}·${b}+${c}`);
    });

    it("ddot sums as OpenBLAS does, below and above 16 elements", () => {
      for (const [x, y, want] of ref.ddot as [number[], number[], number][])
        assert.ok(Object.is(blasDot(x, 0, y, 0, x.length), want), `n=${x.length}`);
    });

    it("one-column products match numpy's A @ w (OpenBLAS GEMV), past its first 2048-block", () => {
      for (const [a, w, want] of ref.gemv as [number[][], number[], number[]][]) {
        for (const [i, row] of a.entries())
          assert.ok(Object.is(gemvDot(row, 0, w, 0, 1, w.length), want[i]), `n=${w.length} row ${i}`);
      }
    });

    it("pairwise sums match numpy's np.sum along a row", () => {
      for (const [a, want] of ref.pairwise_sum as [number[], number][])
        assert.ok(Object.is(sumSlice(a, 0, a.length), want), `n=${a.length}`);
    });

    it("exp matches glibc's bit for bit, where Math.exp does not always", () => {
      let v8Differs = 0;
      for (const [x, want] of ref.exp as number[][]) {
        assert.ok(Object.is(libmExp(x), want), `exp(${x})`);
        if (!Object.is(Math.exp(x), want)) v8Differs++;
      }
      assert.ok(v8Differs > 0, "the recorded sample shows why Math.exp is not used");
    });
  });
}
