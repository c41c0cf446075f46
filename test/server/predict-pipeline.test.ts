import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import { rowsOfBody } from "../../src/server/predict/body.ts";
import { predictRows } from "../../src/server/predict/pipeline.ts";
import { probabilityRows } from "../../src/server/predict/steps.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(isModelServeError(e));
    return `${e.statusCode} ${e.code}`;
  }
  return "no error";
};

describe("prediction pipeline", () => {
  it("reads a body's rows with the documented codes", () => {
    assert.deepEqual(rowsOfBody({ a: 1 }, false, 10), [{ a: 1 }]);
    assert.deepEqual(rowsOfBody({ instances: [[1], [2]] }, true, 10), [[1], [2]]);
    assert.equal(
      code(() => rowsOfBody([1], false, 10)),
      "400 MS_BODY_NOT_OBJECT",
    );
    assert.equal(
      code(() => rowsOfBody(undefined, true, 10)),
      "400 MS_BODY_NOT_OBJECT",
    );
    assert.equal(
      code(() => rowsOfBody({}, true, 10)),
      "400 MS_INVALID_BATCH",
    );
    assert.equal(
      code(() => rowsOfBody({ instances: [1], x: 1 }, true, 10)),
      "400 MS_INVALID_BATCH",
    );
    assert.equal(
      code(() => rowsOfBody({ instances: {} }, true, 10)),
      "400 MS_INVALID_BATCH",
    );
    assert.equal(
      code(() => rowsOfBody({ instances: [] }, true, 10)),
      "400 MS_EMPTY_BATCH",
    );
    assert.equal(
      code(() => rowsOfBody({ instances: [1, 2, 3] }, true, 2)),
      "413 MS_BATCH_TOO_LARGE",
    );
  });

  it("runs a prediction, records what it resolved to, and releases its lease on success and on refusal", async () => {
    const { context } = makeApp();
    const entry: Record<string, unknown> = {};
    const log = () => assert.fail("nothing should be logged");
    const p = await predictRows(
      context,
      { method: "predict", rows: () => [IRIS_ROW], path: "", reqId: "r1", log },
      entry,
    );
    assert.equal(p.version.name, "heuristic");
    assert.deepEqual(p.result.predictions, ["setosa"]);
    assert.deepEqual(probabilityRows(p.result, p.rows), [{ setosa: 1, versicolor: 0, virginica: 0 }]);
    assert.equal(entry.model, "heuristic");
    assert.equal(entry.version, "1");
    assert.equal(context.registry.totalInflight, 0);
    await assert.rejects(
      predictRows(context, { method: "predict", rows: () => [{ nope: 1 }], path: "", reqId: "r2", log }, {}),
      (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_INPUT",
    );
    await assert.rejects(
      predictRows(
        context,
        { method: "predict", rows: () => rowsOfBody([], false, 1), path: "", reqId: "r3", log },
        {},
      ),
      (e: unknown) => isModelServeError(e) && e.code === "MS_BODY_NOT_OBJECT",
    );
    assert.equal(context.registry.totalInflight, 0);
  });

  it("refuses a probability call on a regressor with MS_METHOD_NOT_SUPPORTED and releases", async () => {
    const { context } = makeApp();
    const call = {
      name: "linear",
      method: "predict_proba" as const,
      rows: () => [{ a: 1, b: null, color: "red", n: 1, flag: true, note: "x" }],
      path: "",
      reqId: "r",
      log: () => undefined,
    };
    await assert.rejects(
      predictRows(context, call, {}),
      (e: unknown) => isModelServeError(e) && e.code === "MS_METHOD_NOT_SUPPORTED",
    );
    assert.equal(context.registry.totalInflight, 0);
  });
});
