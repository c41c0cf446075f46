import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { IRIS_ROW, LINEAR_ROW, makeApp } from "../helpers.ts";

const { fastify } = makeApp({ maxBatchSize: 5, bodyLimit: 4096 });
after(() => fastify.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  fastify.inject({
    method: "POST",
    url,
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    headers: { "content-type": "application/json", ...headers },
  });

function errorOf(res: { statusCode: number; json: () => unknown }) {
  const body = res.json() as {
    error: { code: string; message: string; details?: { issues?: { code: string; field: string }[] } };
    requestId: string;
  };
  assert.ok(body.requestId, "error bodies carry the request id");
  assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+/, "no stack trace");
  return body.error;
}

describe("POST /predict", () => {
  it("predicts a named row with probabilities, model and version", async () => {
    const res = await post("/predict", IRIS_ROW);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      model: "heuristic",
      version: "1",
      prediction: "setosa",
      probabilities: { setosa: 1, versicolor: 0, virginica: 0 },
    });
    assert.equal(res.headers["x-model"], "heuristic@1");
    assert.match(String(res.headers["server-timing"]), /^inference;dur=\d+\.\d{3}$/);
  });

  it("predicts a positional row the same as the named one", async () => {
    const named = await post("/predict", {
      sepal_length: 6.3,
      sepal_width: 2.8,
      petal_length: 5.1,
      petal_width: 1.5,
    });
    const positional = await post("/predict", { features: [6.3, 2.8, 5.1, 1.5] });
    assert.equal(positional.statusCode, 200);
    assert.deepEqual(positional.json(), named.json());
    assert.equal(named.json().prediction, "versicolor");
  });

  it("routes by model name and by version", async () => {
    const byName = await post("/models/linear/predict", LINEAR_ROW);
    assert.equal(byName.statusCode, 200);
    assert.deepEqual(byName.json(), { model: "linear", version: "2", prediction: 3 });
    const byVersion = await post("/models/linear/versions/2/predict", { ...LINEAR_ROW, b: 1 });
    assert.deepEqual(byVersion.json(), { model: "linear", version: "2", prediction: 4 });
  });

  it("echoes a client request id and generates one otherwise", async () => {
    const given = await post("/predict", IRIS_ROW, { "x-request-id": "abc-123" });
    assert.equal(given.headers["x-request-id"], "abc-123");
    const generated = await post("/predict", IRIS_ROW);
    assert.match(String(generated.headers["x-request-id"]), /^[0-9a-f]{8}-[0-9a-z]{6,}$/);
    const next = await post("/predict", IRIS_ROW);
    assert.notEqual(next.headers["x-request-id"], generated.headers["x-request-id"]);
    const unsafe = await post("/predict", IRIS_ROW, { "x-request-id": "bad id with spaces" });
    assert.notEqual(unsafe.headers["x-request-id"], "bad id with spaces");
  });
});

describe("POST /predict/batch and /predict_proba", () => {
  it("answers one prediction per row, named and positional rows mixed", async () => {
    const res = await post("/predict/batch", {
      instances: [IRIS_ROW, [6.3, 2.8, 5.1, 1.5], [7.2, 3.6, 6.1, 2.5]],
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.predictions, ["setosa", "versicolor", "virginica"]);
    assert.equal(body.probabilities.length, 3);
    assert.deepEqual(Object.keys(body.probabilities[2]), ["setosa", "versicolor", "virginica"]);
  });

  it("gives probabilities alone, single and batch, consistent with /predict", async () => {
    const single = await post("/predict_proba", IRIS_ROW);
    assert.equal(single.statusCode, 200);
    assert.deepEqual(single.json().classes, ["setosa", "versicolor", "virginica"]);
    const full = await post("/predict", IRIS_ROW);
    assert.deepEqual(single.json().probabilities, full.json().probabilities);
    const batch = await post("/models/heuristic/predict_proba/batch", { instances: [IRIS_ROW, IRIS_ROW] });
    assert.deepEqual(batch.json().probabilities, [single.json().probabilities, single.json().probabilities]);
  });

  it("refuses probabilities from a regressor with a 4xx naming the reason", async () => {
    const res = await post("/models/linear/predict_proba", LINEAR_ROW);
    assert.equal(res.statusCode, 400);
    const e = errorOf(res);
    assert.equal(e.code, "MS_METHOD_NOT_SUPPORTED");
    assert.match(e.message, /regression/);
  });

  it("refuses a batch over the limit with 413 and the limit in the message", async () => {
    const res = await post("/predict/batch", { instances: Array.from({ length: 6 }, () => IRIS_ROW) });
    assert.equal(res.statusCode, 413);
    const e = errorOf(res);
    assert.equal(e.code, "MS_BATCH_TOO_LARGE");
    assert.match(e.message, /limit of 5 rows/);
  });

  it("refuses an empty batch, a missing or non-array instances, and extra fields", async () => {
    assert.equal(errorOf(await post("/predict/batch", { instances: [] })).code, "MS_EMPTY_BATCH");
    assert.equal(errorOf(await post("/predict/batch", { rows: [] })).code, "MS_INVALID_BATCH");
    assert.equal(errorOf(await post("/predict/batch", { instances: 3 })).code, "MS_INVALID_BATCH");
    const extra = await post("/predict/batch", { instances: [IRIS_ROW], foo: 1 });
    assert.equal(extra.statusCode, 400);
    assert.equal(errorOf(extra).code, "MS_INVALID_BATCH");
  });
});

describe("bad input gets a documented 4xx, never a 5xx", () => {
  const cases: [string, string, unknown, number, string, string?][] = [
    [
      "unknown feature",
      "/predict",
      { ...IRIS_ROW, petal_colour: 1 },
      422,
      "MS_INVALID_INPUT",
      "UNKNOWN_FEATURE",
    ],
    [
      "missing feature",
      "/predict",
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4 },
      422,
      "MS_INVALID_INPUT",
      "MISSING_FEATURE",
    ],
    ["wrong type", "/predict", { ...IRIS_ROW, sepal_length: "abc" }, 422, "MS_INVALID_INPUT", "WRONG_TYPE"],
    [
      "null where not nullable",
      "/predict",
      { ...IRIS_ROW, sepal_width: null },
      422,
      "MS_INVALID_INPUT",
      "NULL_NOT_ALLOWED",
    ],
    [
      "non-finite number",
      "/predict",
      '{"sepal_length": 1e999, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}',
      422,
      "MS_INVALID_INPUT",
      "NON_FINITE",
    ],
    [
      "positional row of the wrong length",
      "/predict",
      { features: [1, 2, 3] },
      422,
      "MS_INVALID_INPUT",
      "WRONG_LENGTH",
    ],
    [
      "category not allowed",
      "/models/linear/predict",
      { ...LINEAR_ROW, color: "blue" },
      422,
      "MS_INVALID_INPUT",
      "UNKNOWN_CATEGORY",
    ],
    [
      "value out of range",
      "/models/linear/predict",
      { ...LINEAR_ROW, a: 11 },
      422,
      "MS_INVALID_INPUT",
      "OUT_OF_RANGE",
    ],
    [
      "int that is not an integer",
      "/models/linear/predict",
      { ...LINEAR_ROW, n: 1.5 },
      422,
      "MS_INVALID_INPUT",
      "WRONG_TYPE",
    ],
    [
      "bool given as a number",
      "/models/linear/predict",
      { ...LINEAR_ROW, flag: 1 },
      422,
      "MS_INVALID_INPUT",
      "WRONG_TYPE",
    ],
    [
      "batch row that is not an object",
      "/predict/batch",
      { instances: ["x"] },
      422,
      "MS_INVALID_INPUT",
      "ROW_NOT_OBJECT",
    ],
    ["body that is an array", "/predict", [1, 2, 3, 4], 400, "MS_BODY_NOT_OBJECT"],
    ["body that is a string", "/predict", '"hello"', 400, "MS_BODY_NOT_OBJECT"],
    ["body that is null", "/predict", "null", 400, "MS_BODY_NOT_OBJECT"],
    ["malformed JSON", "/predict", '{"sepal_length": ', 400, "MS_MALFORMED_JSON"],
    ["unknown model", "/models/nope/predict", IRIS_ROW, 404, "MS_MODEL_NOT_FOUND"],
    ["unknown version", "/models/heuristic/versions/9/predict", IRIS_ROW, 404, "MS_VERSION_NOT_FOUND"],
  ];
  for (const [label, url, payload, status, code, issue] of cases) {
    it(`${label} → ${status} ${code}${issue ? ` (${issue})` : ""}`, async () => {
      const res = await post(url, payload);
      assert.equal(res.statusCode, status, res.body);
      const e = errorOf(res);
      assert.equal(e.code, code);
      if (issue) {
        assert.equal(e.details?.issues?.[0]?.code, issue);
        assert.ok(e.details?.issues?.[0]?.field, "names the field");
      }
    });
  }

  it("reports every problem of a row, each with its field", async () => {
    const res = await post("/predict", { sepal_length: "x", petal_length: null, extra: 1 });
    const issues = errorOf(res).details!.issues!;
    assert.deepEqual(issues.map((i) => `${i.code}:${i.field}`).sort(), [
      "MISSING_FEATURE:petal_width",
      "MISSING_FEATURE:sepal_width",
      "NULL_NOT_ALLOWED:petal_length",
      "UNKNOWN_FEATURE:extra",
      "WRONG_TYPE:sepal_length",
    ]);
  });

  it("names the row of a batch problem", async () => {
    const res = await post("/predict/batch", { instances: [IRIS_ROW, { ...IRIS_ROW, petal_width: "wide" }] });
    assert.equal(errorOf(res).details!.issues![0].field, "instances[1].petal_width");
  });

  it("keeps __proto__ and constructor keys as unknown features", async () => {
    const res = await post(
      "/predict",
      `{"__proto__": {"x": 1}, "constructor": 1, ${JSON.stringify(IRIS_ROW).slice(1)}`,
    );
    assert.equal(res.statusCode, 422);
    assert.deepEqual(
      errorOf(res).details!.issues!.map((i) => i.code),
      ["UNKNOWN_FEATURE", "UNKNOWN_FEATURE"],
    );
  });

  it("refuses a wrong content type with 415", async () => {
    const res = await fastify.inject({
      method: "POST",
      url: "/predict",
      payload: "a=1",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(res.statusCode, 415);
    assert.equal(errorOf(res).code, "MS_UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await post("/predict/batch", { instances: Array.from({ length: 200 }, () => IRIS_ROW) });
    assert.equal(res.statusCode, 413);
    assert.equal(errorOf(res).code, "MS_BODY_TOO_LARGE");
  });

  it("refuses an empty body", async () => {
    const res = await fastify.inject({
      method: "POST",
      url: "/predict",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, "MS_BODY_NOT_OBJECT");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fastify.inject({ method: "GET", url: "/nope" });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, "MS_ROUTE_NOT_FOUND");
  });
});
