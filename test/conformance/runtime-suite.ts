/**
 * @module The runtime conformance suite: one set of checks every runtime must pass (sniffing,
 * loading, a well-formed signature, batch/single consistency, parity with the reference library's
 * recorded outputs, and clean errors on broken files). Each runtime's test calls {@link runRuntimeConformance}.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import { builtinRuntimes } from "../../src/runtimes/builtin.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import type { Label, LoadedModel, Matrix, PredictOutput, Runtime } from "../../src/runtimes/runtime.ts";
import { tableFromRows } from "../../src/schema/validator.ts";

/** Reference outputs recorded from the real library for one model file. */
export interface ConformanceCase {
  /** Model file path. */
  readonly file: string;
  /** Rows to score: positional arrays (`null` = missing) or named objects. */
  readonly rows: readonly unknown[];
  /** What the reference library predicted, one per row (labels, numbers, or arrays for multi-output). */
  readonly predict?: readonly unknown[];
  /** Reference class probabilities, one array per row, in `classes` order. */
  readonly predictProba?: readonly (readonly number[])[];
  /** Reference class labels, when a classifier. */
  readonly classes?: readonly Label[];
  /** Relative / absolute tolerance (0 for bit-exact). */
  readonly rel?: number;
  readonly abs?: number;
  /** Runtime settings for the load. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** What a runtime's test hands to the suite. */
export interface ConformanceOptions {
  readonly runtime: Runtime;
  readonly cases: readonly ConformanceCase[];
  /** Model files of other formats, which this runtime must refuse cleanly. */
  readonly foreign?: readonly string[];
}

const here = (rel: string) => new URL(`../${rel}`, import.meta.url).pathname;

/** One model file of each format, for the wrong-runtime checks. */
export const FORMAT_SAMPLES: Readonly<Record<string, string>> = {
  typescript: here("../examples/iris/heuristic.ts"),
  sklearn: here("../examples/iris/models/decision_tree.joblib"),
  xgboost: here("../examples/iris/models/xgboost.json"),
  lightgbm: here("fixtures/lightgbm/iris_multiclass/model.txt"),
  onnx: here("fixtures/onnx/skl2onnx/iris_logreg_zipmap/model.onnx"),
};

function close(a: number, b: number, rel: number, abs: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
}

/** Flattens a predict output into one JSON-like value per row. */
export function predictionsOf(out: PredictOutput, rows: number): unknown[] {
  if (out.kind === "labels") return [...out.labels];
  if (out.kind === "label-rows") return out.labels.map((r) => [...r]);
  if (out.kind === "values") {
    const { cols, data } = out.values;
    return Array.from({ length: rows }, (_, r) =>
      cols === 1 ? data[r] : Array.from(data.subarray(r * cols, (r + 1) * cols)),
    );
  }
  throw new Error("tensor outputs are compared by the runtime's own tests");
}

function assertMatches(actual: unknown, expected: unknown, rel: number, abs: number, where: string) {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    for (const [i, e] of expected.entries()) assertMatches(actual[i], e, rel, abs, `${where}[${i}]`);
    return;
  }
  if (typeof expected === "number" && typeof actual === "number") {
    assert.ok(
      close(actual, expected, rel, abs),
      `${where}: got ${actual}, expected ${expected} (rel ${rel}, abs ${abs})`,
    );
    return;
  }
  if (expected === null && typeof actual === "number") {
    assert.ok(Number.isNaN(actual), `${where}: got ${actual}, expected NaN/null`);
    return;
  }
  // Labels keep their JSON type: a class answered as "1" where the library said 1 is a bug.
  assert.equal(
    actual,
    expected,
    `${where}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
  );
}

function matrixRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

/** Registers the conformance tests for one runtime. */
export function runRuntimeConformance({ runtime, cases, foreign }: ConformanceOptions): void {
  describe(`runtime conformance: ${runtime.name}`, () => {
    it("refuses files of other formats with a ModelServeError, and does not claim them", async () => {
      const others =
        foreign ??
        Object.entries(FORMAT_SAMPLES)
          .filter(([n]) => n !== runtime.name)
          .map(([, f]) => f);
      for (const file of others) {
        const bytes = readFileSync(file);
        assert.equal(
          runtime.sniff(bytes, basename(file)),
          false,
          `${runtime.name} does not claim ${basename(file)}`,
        );
        await assert.rejects(
          runtime.load({ fileName: basename(file), bytes }),
          (err: unknown) => isModelServeError(err),
          `${runtime.name} refuses ${basename(file)}`,
        );
      }
    });

    it("has a name and extensions", () => {
      assert.match(runtime.name, /^[a-z][a-z0-9-]*$/);
      for (const ext of runtime.extensions) assert.match(ext, /^\.[a-z0-9.]+$/);
    });

    it("rejects random bytes and empty files with a ModelServeError", async () => {
      const junk = new Uint8Array(256).map((_, i) => (i * 37 + 11) & 0xff);
      for (const bytes of [junk, new Uint8Array(0)]) {
        await assert.rejects(
          runtime.load({ fileName: `junk${runtime.extensions[0] ?? ""}`, bytes }),
          (err: unknown) => isModelServeError(err) && err.statusCode >= 400 && err.statusCode < 600,
        );
      }
    });

    for (const c of cases) {
      describe(basename(c.file), () => {
        const bytes = readFileSync(c.file);
        const rel = c.rel ?? 0;
        const abs = c.abs ?? 0;
        let model: LoadedModel;

        it("is recognised by extension and by content", () => {
          assert.ok(runtime.sniff(bytes, basename(c.file)), "sniff accepts its own file");
          assert.equal(builtinRuntimes().resolve(basename(c.file), bytes).name, runtime.name);
        });

        it("loads with a well-formed signature and info", async () => {
          model = await loadModel(c.file, { runtime: runtime.name, settings: c.settings });
          const sig = model.signature;
          assert.ok(sig.inputs.length > 0, "at least one input");
          assert.equal(
            new Set(sig.inputs.map((f) => f.name)).size,
            sig.inputs.length,
            "input names are unique",
          );
          assert.equal(sig.capabilities.predict, true);
          assert.equal(sig.capabilities.predictProba, typeof model.predictProba === "function");
          assert.equal(sig.capabilities.decisionFunction, typeof model.decisionFunction === "function");
          assert.equal(sig.capabilities.transform, typeof model.transform === "function");
          assert.equal(sig.capabilities.rawScore, typeof model.rawScore === "function");
          if (sig.output.task === "classification")
            assert.ok((sig.output.classes?.length ?? 0) >= 2, "classes listed");
          if (c.classes) assert.deepEqual(sig.output.classes, c.classes);
          assert.match(model.info.sha256, /^[0-9a-f]{64}$/);
          assert.equal(model.info.sizeBytes, bytes.byteLength);
          assert.equal(model.info.runtime, runtime.name);
        });

        if (c.predict) {
          it("predicts what the reference library predicted", async () => {
            const out = await model.predict(tableFromRows(model.signature, c.rows));
            assertMatches(predictionsOf(out, c.rows.length), c.predict, rel, abs, "predict");
          });

          it("answers a row alone exactly as inside a batch", async () => {
            const batch = predictionsOf(
              await model.predict(tableFromRows(model.signature, c.rows)),
              c.rows.length,
            );
            for (const i of [0, c.rows.length - 1]) {
              const single = predictionsOf(
                await model.predict(tableFromRows(model.signature, [c.rows[i]])),
                1,
              );
              assert.deepEqual(single[0], batch[i]);
            }
          });
        }

        if (c.predictProba) {
          it("gives the reference class probabilities", async () => {
            assert.ok(model.predictProba, "predictProba is offered");
            const p = await model.predictProba!(tableFromRows(model.signature, c.rows));
            assertMatches(matrixRows(p), c.predictProba, rel, abs, "predict_proba");
          });
        }

        it("refuses bad rows with field-level errors, never a crash", () => {
          const width = model.signature.inputs.length;
          assert.throws(
            () => tableFromRows(model.signature, [Array.from({ length: width + 1 }, () => 0)]),
            (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_INPUT",
          );
          assert.throws(
            () => tableFromRows(model.signature, [{ not_a_feature_of_any_model: 1 }]),
            (e: unknown) => isModelServeError(e) && JSON.stringify(e.details).includes("UNKNOWN_FEATURE"),
          );
        });

        it("refuses a truncated copy of the file with a ModelServeError", async () => {
          const cut = bytes.subarray(0, Math.floor(bytes.byteLength / 2));
          await assert.rejects(runtime.load({ fileName: basename(c.file), bytes: cut }), (err: unknown) =>
            isModelServeError(err),
          );
        });
      });
    }
  });
}
