/**
 * @module Open Inference Protocol V2 over REST: every route, both tabular conventions, datatypes,
 * output selection, routing (pins, splits), auth, limits and bad tensors. Every answer is validated
 * against the vendored `open_inference_rest.yaml`.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { accessKeys } from "../../src/config/config.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { buildApp } from "../../src/server/app.ts";
import { LINEAR_ROW, linear, silent } from "../helpers.ts";
import { assertOipAnswer } from "./oip.ts";

const FOREST = new URL("../../examples/iris/models/random_forest.joblib", import.meta.url).pathname;
const TREE = new URL("../../examples/iris/models/decision_tree.joblib", import.meta.url).pathname;
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];

/** y = 2·x1 + x2, without rounding of its own: shows exactly which numbers arrived. */
const sum = defineModel({
  name: "sum",
  version: "1",
  inputs: { x1: "float", x2: "float" },
  predict: (rows) => rows.map((r) => 2 * (r.x1 as number) + (r.x2 as number)),
});

let fastify: FastifyInstance;
let registry: ModelRegistry;

/** Sends a request, validates the answer against the spec, returns status, body and headers. */
async function send(
  method: "GET" | "POST",
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fastify.inject({ method, url, payload: payload as object, headers });
  const body = res.body.length > 0 ? res.json() : undefined;
  assertOipAnswer(method, url, res.statusCode, body);
  return { status: res.statusCode, body, headers: res.headers };
}

const matrixInput = (rows: number[][], datatype = "FP64", name = "input-0") => ({
  name,
  shape: [rows.length, rows[0].length],
  datatype,
  data: rows.flat(),
});

before(async () => {
  registry = new ModelRegistry();
  registry.register("iris", "1", await loadModel(TREE));
  registry.register("iris", "2", await loadModel(FOREST));
  registry.register("linear", "1", loadDefinition(linear));
  registry.register("sum", "1", loadDefinition(sum));
  ({ fastify } = buildApp(registry, { logger: silent, maxBatchSize: 100 }));
});
after(async () => {
  await fastify.close();
  await registry.close();
});

describe("V2 REST: server and model metadata, health", () => {
  it("GET /v2 answers server metadata; live and ready answer 200 with a body", async () => {
    const meta = await send("GET", "/v2");
    assert.equal(meta.status, 200);
    assert.equal(meta.body.name, "modelserve");
    assert.deepEqual(meta.body.extensions, []);
    assert.deepEqual((await send("GET", "/v2/")).body, meta.body);
    assert.deepEqual((await send("GET", "/v2/health/live")).body, { live: true });
    assert.deepEqual((await send("GET", "/v2/health/ready")).body, { ready: true });
  });

  it("model metadata lists inputs (one [-1] tensor per feature), outputs, versions, platform", async () => {
    const m = await send("GET", "/v2/models/iris");
    assert.equal(m.status, 200);
    assert.equal(m.body.name, "iris");
    assert.deepEqual(m.body.versions, ["1", "2"]);
    assert.equal(m.body.platform, "sklearn");
    assert.deepEqual(
      m.body.inputs,
      FEATURES.map((name) => ({ name, datatype: "FP64", shape: [-1] })),
    );
    assert.deepEqual(m.body.outputs, [
      { name: "predict", datatype: "BYTES", shape: [-1] },
      { name: "predict_proba", datatype: "FP64", shape: [-1, 3] },
    ]);
    assert.equal(m.body.properties.version, "2");
    assert.deepEqual(JSON.parse(m.body.properties.classes), ["setosa", "versicolor", "virginica"]);
    const v1 = await send("GET", "/v2/models/iris/versions/1");
    assert.equal(v1.body.properties.version, "1");
    assert.equal(v1.body.properties.model_type, "DecisionTreeClassifier");
  });

  it("model readiness with and without a version; unknown model and version are 404", async () => {
    assert.deepEqual((await send("GET", "/v2/models/iris/ready")).body, { name: "iris", ready: true });
    assert.equal((await send("GET", "/v2/models/iris/versions/1/ready")).status, 200);
    const nope = await send("GET", "/v2/models/nope/ready");
    assert.equal(nope.status, 404);
    assert.equal(nope.body.code, "MS_MODEL_NOT_FOUND");
    assert.equal(nope.headers["x-error-code"], "MS_MODEL_NOT_FOUND");
    assert.match(nope.body.error, /model "nope" not found/);
    const v9 = await send("GET", "/v2/models/iris/versions/9");
    assert.equal(v9.status, 404);
    assert.equal(v9.body.code, "MS_VERSION_NOT_FOUND");
  });

  it("an unknown route under /v2 answers 404 in the V2 error shape", async () => {
    const r = await send("POST", "/v2/models/iris/predict", {});
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.body).sort(), ["code", "error"]);
    assert.equal(r.body.code, "MS_ROUTE_NOT_FOUND");
  });
});

describe("V2 REST: inference", () => {
  it("one [N, F] tensor and one [N] tensor per feature give the native route's answer", async () => {
    const native = await fastify.inject({
      method: "POST",
      url: "/models/iris/predict/batch",
      payload: { instances: ROWS },
    });
    const expected = native.json();
    const a = await send("POST", "/v2/models/iris/infer", { id: "req-1", inputs: [matrixInput(ROWS)] });
    assert.equal(a.status, 200);
    assert.equal(a.body.id, "req-1");
    assert.equal(a.body.model_name, "iris");
    assert.equal(a.body.model_version, "2");
    assert.equal(a.headers["x-model"], "iris@2");
    assert.deepEqual(a.body.outputs[0], {
      name: "predict",
      datatype: "BYTES",
      shape: [3],
      data: expected.predictions,
    });
    assert.deepEqual(a.body.outputs[1].shape, [3, 3]);
    assert.deepEqual(
      a.body.outputs[1].data,
      expected.probabilities.flatMap((p: Record<string, number>) => [p.setosa, p.versicolor, p.virginica]),
    );
    const perFeature = FEATURES.map((name, c) => ({
      name,
      shape: [ROWS.length],
      datatype: "FP64",
      data: ROWS.map((r) => r[c]),
    }));
    const b = await send("POST", "/v2/models/iris/infer", { id: "req-1", inputs: perFeature });
    assert.deepEqual(b.body.outputs, a.body.outputs);
    // [N, 1] columns (pandas-codec style) and nested data are the same request.
    const cols = FEATURES.map((name, c) => ({
      name,
      shape: [ROWS.length, 1],
      datatype: "FP64",
      parameters: { content_type: "np" },
      data: ROWS.map((r) => [r[c]]),
    }));
    const c = await send("POST", "/v2/models/iris/infer", {
      id: "req-1",
      parameters: { content_type: "pd" },
      inputs: cols,
    });
    assert.deepEqual(c.body.outputs, a.body.outputs);
    const nested = await send("POST", "/v2/models/iris/infer", {
      id: "req-1",
      inputs: [{ name: "x", shape: [3, 4], datatype: "FP64", data: ROWS }],
    });
    assert.deepEqual(nested.body.outputs, a.body.outputs);
  });

  it("a version path pins the version; outputs select and order the answer", async () => {
    const r = await send("POST", "/v2/models/iris/versions/1/infer", {
      inputs: [matrixInput(ROWS)],
      outputs: [{ name: "predict_proba" }, { name: "predict", parameters: { binary_data: false } }],
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.model_version, "1");
    assert.deepEqual(
      r.body.outputs.map((o: { name: string }) => o.name),
      ["predict_proba", "predict"],
    );
    assert.equal(typeof r.body.id, "string");
    const bad = await send("POST", "/v2/models/iris/infer", {
      inputs: [matrixInput(ROWS)],
      outputs: [{ name: "logits" }],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "MS_INVALID_INFER_REQUEST");
    assert.match(bad.body.error, /no output "logits"; outputs: predict, predict_proba/);
  });

  it("integer and FP32 datatypes are accepted; FP32 values are read as float32", async () => {
    const ints = await send("POST", "/v2/models/iris/infer", {
      inputs: [matrixInput([[5, 3, 1, 0]], "INT32")],
    });
    const asFloat = await send("POST", "/v2/models/iris/infer", { inputs: [matrixInput([[5, 3, 1, 0]])] });
    assert.deepEqual(ints.body.outputs, asFloat.body.outputs);
    const f32 = await send("POST", "/v2/models/sum/infer", { inputs: [matrixInput([[0.1, 0.2]], "FP32")] });
    const f64 = await send("POST", "/v2/models/sum/infer", {
      inputs: [matrixInput([[Math.fround(0.1), Math.fround(0.2)]], "FP64")],
    });
    assert.equal(f32.status, 200);
    assert.deepEqual(f32.body.outputs, f64.body.outputs);
    assert.deepEqual(f32.body.outputs[0], {
      name: "predict",
      datatype: "FP64",
      shape: [1],
      data: [2 * Math.fround(0.1) + Math.fround(0.2)],
    });
  });

  it("mixed features by name: FP64 with null (missing), BYTES category and text, INT64, BOOL", async () => {
    const rows = [LINEAR_ROW, { ...LINEAR_ROW, a: -2, b: 4, color: "green", n: 1, flag: false, note: "é✓" }];
    const native = await fastify.inject({
      method: "POST",
      url: "/models/linear/predict/batch",
      payload: { instances: rows },
    });
    const col = (name: keyof typeof LINEAR_ROW, datatype: string) => ({
      name,
      datatype,
      shape: [rows.length],
      data: rows.map((r) => r[name]),
    });
    const r = await send("POST", "/v2/models/linear/infer", {
      inputs: [
        col("a", "FP64"),
        col("b", "FP64"),
        col("color", "BYTES"),
        col("n", "INT64"),
        col("flag", "BOOL"),
        col("note", "BYTES"),
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.outputs, [
      { name: "predict", datatype: "FP64", shape: [2], data: native.json().predictions },
    ]);
    assert.deepEqual(r.body.outputs[0].data, [3, 0]);
    const meta = await send("GET", "/v2/models/linear");
    assert.deepEqual(
      meta.body.inputs.map((i: { datatype: string }) => i.datatype),
      ["FP64", "FP64", "BYTES", "INT64", "BOOL", "BYTES"],
    );
  });

  it("an A/B split routes by x-routing-key like the native routes", async () => {
    registry.setSplit("iris", [
      { version: "1", weight: 1 },
      { version: "2", weight: 1 },
    ]);
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const key = `client-${i}`;
        const v2 = await send(
          "POST",
          "/v2/models/iris/infer",
          { inputs: [matrixInput(ROWS)] },
          { "x-routing-key": key },
        );
        const native = await fastify.inject({
          method: "POST",
          url: "/models/iris/predict",
          payload: { features: ROWS[0] },
          headers: { "x-routing-key": key },
        });
        assert.equal(v2.body.model_version, native.json().version, `key ${key} lands on one version`);
        seen.add(v2.body.model_version);
      }
      assert.deepEqual([...seen].sort(), ["1", "2"]);
    } finally {
      registry.setSplit("iris", undefined);
    }
  });
});

describe("V2 REST: bad tensors get clear 400s", () => {
  const cases: [string, unknown, RegExp, string?][] = [
    [
      "wrong datatype name",
      { inputs: [{ ...matrixInput(ROWS), datatype: "FLOAT" }] },
      /unknown datatype "FLOAT"/,
    ],
    [
      "a string in FP64 data",
      { inputs: [{ ...matrixInput(ROWS), data: [...ROWS.flat().slice(1), "x"] }] },
      /element 11 is the string "x", which is not a valid FP64 value/,
    ],
    [
      "a boolean in FP32 data",
      { inputs: [{ ...matrixInput(ROWS, "FP32"), data: [true, ...ROWS.flat().slice(1)] }] },
      /element 0 is true/,
    ],
    [
      "an INT8 value out of range",
      { inputs: [{ ...matrixInput([[5, 3, 1, 300]], "INT8") }] },
      /element 3 \(300\) is out of the range of INT8/,
    ],
    [
      "a fraction in INT64 data",
      { inputs: [{ ...matrixInput([[5, 3, 1, 0.5]], "INT64") }] },
      /element 3 is 0.5/,
    ],
    [
      "shape/data length mismatch",
      { inputs: [{ ...matrixInput(ROWS), shape: [2, 4] }] },
      /shape \[2, 4\] has 8 elements but the data holds 12/,
    ],
    [
      "a 10^7-element shape in a small body",
      { inputs: [{ ...matrixInput(ROWS), shape: [10_000_000, 4] }] },
      /has 40000000 elements but the data holds 12/,
    ],
    [
      "a 10^7-element shape with nested data",
      { inputs: [{ name: "x", shape: [10_000_000, 4], datatype: "FP64", data: ROWS }] },
      /nested data does not match shape \[10000000, 4\] on axis 0 \(got 3 items\)/,
    ],
    [
      "a negative dimension",
      { inputs: [{ ...matrixInput(ROWS), shape: [-3, 4] }] },
      /non-negative integers, got -3/,
    ],
    [
      "a ragged nested tensor",
      {
        inputs: [
          {
            name: "x",
            shape: [3, 4],
            datatype: "FP64",
            data: [
              [1, 2, 3, 4],
              [1, 2, 3],
              [1, 2, 3, 4],
            ],
          },
        ],
      },
      /axis 1/,
    ],
    [
      "the wrong width",
      { inputs: [{ name: "x", shape: [3, 3], datatype: "FP64", data: ROWS.flatMap((r) => r.slice(0, 3)) }] },
      /send one \[N, 4\] tensor/,
    ],
    [
      "an unknown input next to features",
      {
        inputs: [
          { name: "sepal_length", shape: [1], datatype: "FP64", data: [1] },
          { name: "colour", shape: [1], datatype: "FP64", data: [1] },
        ],
      },
      /tensor "colour": is not an input of this model/,
    ],
    [
      "feature tensors with different row counts",
      {
        inputs: FEATURES.map((name, i) => ({
          name,
          shape: [i === 2 ? 1 : 2],
          datatype: "FP64",
          data: i === 2 ? [1] : [1, 2],
        })),
      },
      /has 1 rows but "sepal_length" has 2/,
    ],
    [
      "a feature tensor of width 2",
      { inputs: FEATURES.map((name) => ({ name, shape: [1, 2], datatype: "FP64", data: [1, 2] })) },
      /a feature tensor is \[N\] or \[N, 1\]/,
    ],
    ["no inputs", { inputs: [] }, /"inputs" must hold at least one tensor/, "MS_INVALID_INFER_REQUEST"],
    ["inputs missing", { id: "x" }, /"inputs" must be a list/, "MS_INVALID_INFER_REQUEST"],
    [
      "a non-string id",
      { id: 7, inputs: [matrixInput(ROWS)] },
      /"id" must be a string/,
      "MS_INVALID_INFER_REQUEST",
    ],
    [
      "an object parameter",
      { parameters: { a: { b: 1 } }, inputs: [matrixInput(ROWS)] },
      /parameters.a must be a string, a number or a boolean/,
      "MS_INVALID_INFER_REQUEST",
    ],
    ["a body that is an array", [1, 2], /must be a JSON object/, "MS_INVALID_INFER_REQUEST"],
  ];
  for (const [what, body, message, code] of cases) {
    it(what, async () => {
      const r = await send("POST", "/v2/models/iris/infer", body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, code ?? "MS_INVALID_TENSOR");
      assert.equal(r.headers["x-error-code"], r.body.code);
      assert.match(r.body.error, message);
    });
  }

  it("values the model refuses keep the validator's MS_INVALID_INPUT (422) with the field named", async () => {
    const one = (name: string, datatype: string, v: unknown) => ({ name, datatype, shape: [1], data: [v] });
    const r = await send("POST", "/v2/models/linear/infer", {
      inputs: [
        one("a", "FP64", 50),
        one("b", "FP64", null),
        one("color", "BYTES", "blue"),
        one("n", "INT64", 1),
        one("flag", "BOOL", true),
        one("note", "BYTES", "x"),
      ],
    });
    assert.equal(r.status, 422);
    assert.equal(r.body.code, "MS_INVALID_INPUT");
    assert.match(r.body.error, /2 problems/);
    // NaN cannot travel in JSON; null in a feature that is not nullable is refused by the validator.
    const n = await send("POST", "/v2/models/sum/infer", { inputs: [matrixInput([[1, 2]])] });
    assert.equal(n.status, 200);
    const nul = await send("POST", "/v2/models/sum/infer", {
      inputs: [{ name: "x", shape: [1, 2], datatype: "FP64", data: [null, 2] }],
    });
    assert.equal(nul.status, 422);
    assert.match(nul.body.error, /x1/);
  });

  it("rows beyond maxBatchSize are 413; malformed JSON is 400; both in the V2 shape", async () => {
    const big = Array.from({ length: 101 }, () => ROWS[0]);
    const r = await send("POST", "/v2/models/iris/infer", { inputs: [matrixInput(big)] });
    assert.equal(r.status, 413);
    assert.equal(r.body.code, "MS_BATCH_TOO_LARGE");
    const m = await fastify.inject({
      method: "POST",
      url: "/v2/models/iris/infer",
      payload: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(m.statusCode, 400);
    assert.equal(m.json().code, "MS_MALFORMED_JSON");
    assert.equal(typeof m.json().error, "string");
  });
});

describe("V2 REST: access control", () => {
  it("infer needs a predict key, metadata a read key, V2 probes stay open", async () => {
    const reg = new ModelRegistry();
    reg.register("iris", "1", await loadModel(TREE));
    const { fastify: app } = buildApp(reg, {
      logger: silent,
      access: {
        keys: accessKeys({
          apiKeys: "reader:reader-key-0123456789abcdef:read,caller:caller-key-0123456789abcdef:predict",
        }),
      },
    });
    try {
      const req = (url: string, key?: string, payload?: object) =>
        app.inject({
          method: payload ? "POST" : "GET",
          url,
          payload,
          headers: key ? { authorization: `Bearer ${key}` } : {},
        });
      const infer = { inputs: [matrixInput(ROWS)] };
      assert.equal((await req("/v2/health/live")).statusCode, 200);
      assert.equal((await req("/v2/health/ready")).statusCode, 200);
      const anon = await req("/v2/models/iris/infer", undefined, infer);
      assert.equal(anon.statusCode, 401);
      assert.equal(anon.json().code, "MS_UNAUTHORIZED");
      assert.equal(typeof anon.json().error, "string");
      assert.equal(
        (await req("/v2/models/iris/infer", "reader-key-0123456789abcdef", infer)).statusCode,
        403,
      );
      assert.equal(
        (await req("/v2/models/iris/infer", "caller-key-0123456789abcdef", infer)).statusCode,
        200,
      );
      assert.equal((await req("/v2/models/iris")).statusCode, 401);
      assert.equal((await req("/v2/models/iris", "reader-key-0123456789abcdef")).statusCode, 200);
      assert.equal(
        (await req("/v1/models/iris:predict", "reader-key-0123456789abcdef", { instances: ROWS })).statusCode,
        403,
      );
      assert.equal(
        (await req("/v1/models/iris:predict", "caller-key-0123456789abcdef", { instances: ROWS })).statusCode,
        200,
      );
    } finally {
      await app.close();
      await reg.close();
    }
  });
});

describe("V2 REST: metrics", () => {
  it("counts V2 requests by route, model and version", async () => {
    await send("POST", "/v2/models/iris/infer", { inputs: [matrixInput(ROWS)] });
    const text = (await fastify.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(
      text,
      /modelserve_http_requests_total\{model="iris",version="2",route="\/v2\/models\/:name\/infer",status="200"\} \d+/,
    );
  });
});

describe("V2 and V1 in /openapi.json", () => {
  it("lists every protocol route, and its example infer request is one the server accepts", async () => {
    const doc = (await fastify.inject({ method: "GET", url: "/openapi.json" })).json();
    for (const p of [
      "/v2",
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/versions/{version}",
      "/v2/models/{name}/ready",
      "/v2/models/{name}/versions/{version}/ready",
      "/v2/models/{name}/infer",
      "/v2/models/{name}/versions/{version}/infer",
      "/v1/models",
      "/v1/models/{name}",
      "/v1/models/{name}:predict",
    ])
      assert.ok(doc.paths[p], p);
    assert.ok(doc.components.schemas.V2InferRequest);
    const example = doc.paths["/v2/models/{name}/infer"].post.requestBody.content["application/json"].example;
    const r = await send("POST", `/v2/models/${registry.defaultModel()}/infer`, example);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, "example-1");
    assert.equal(r.body.outputs[0].shape[0], 2);
  });
});
