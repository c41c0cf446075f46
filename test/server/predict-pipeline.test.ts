import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isModelServeError } from "../../src/errors.ts";
import { decodeInstances } from "../../src/schema/json-rows.ts";
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

  it("takes rows read from the body's bytes without row objects, and falls back to them when the model needs", async () => {
    const { context } = makeApp();
    const log = () => assert.fail("nothing should be logged");
    const text = '{"instances": [[6.3, 2.8, 5.1, 1.5], [5.1, 3.5, 1.4, 0.2]]}';
    const decoded = decodeInstances(Buffer.from(text), 10);
    assert.ok(decoded);
    const direct = await predictRows(
      context,
      {
        method: "predict",
        rows: () => assert.fail("row objects asked for"),
        decoded,
        path: "instances",
        reqId: "d1",
        log,
      },
      {},
    );
    const general = await predictRows(
      context,
      { method: "predict", rows: () => JSON.parse(text).instances, path: "instances", reqId: "d2", log },
      {},
    );
    assert.deepEqual(direct.result.predictions, general.result.predictions);
    assert.equal(direct.rows, 2);
    // Five values to a model of four: the general path reads the rows and gives its error.
    let asked = 0;
    const wide = decodeInstances(Buffer.from('{"instances": [[1, 2, 3, 4, 5]]}'), 10);
    await assert.rejects(
      predictRows(
        context,
        {
          method: "predict",
          rows: () => {
            asked++;
            return [[1, 2, 3, 4, 5]];
          },
          decoded: wide,
          path: "instances",
          reqId: "d3",
          log,
        },
        {},
      ),
      (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_INPUT",
    );
    assert.equal(asked, 1);
    assert.equal(context.registry.totalInflight, 0);
  });
});
