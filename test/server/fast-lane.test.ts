// The fast lane answers the native prediction routes and V2's infer from Node's HTTP server: every case here is sent
// over a socket (the lane) and through `inject` (Fastify, which the lane never sees) and must come back
// the same — status, body bytes, headers — and leave the same request log line, metrics and audit.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import heuristic from "../../examples/iris/heuristic.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { defineModel } from "../../src/runtimes/typescript/define-model.ts";
import { loadDefinition } from "../../src/runtimes/typescript/runtime.ts";
import { type App, type AppOptions, buildApp } from "../../src/server/app.ts";
import { laneTaken, matchLaneRoute } from "../../src/server/fast-lane.ts";
import { hasRequestHooks } from "../../src/server/lane-refusal.ts";
import { IRIS_ROW, LINEAR_ROW, linear } from "../helpers.ts";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Log lines written by an app, parsed. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

function makeRegistry(): ModelRegistry {
  const registry = new ModelRegistry();
  registry.register(heuristic.name, heuristic.version, loadDefinition(heuristic), "code");
  registry.register(linear.name, linear.version, loadDefinition(linear), "code");
  registry.register(accents.name, accents.version, loadDefinition(accents), "code");
  return registry;
}

/** A classifier whose labels are not ASCII: its answers' bytes are UTF-8, not one per character. */
const accents = defineModel({
  name: "accents",
  inputs: { x: "float" },
  classes: ["café", "naïve ✓"],
  predict: (rows) => rows.map((r) => ((r.x as number) > 0 ? "café" : "naïve ✓")),
  predictProba: (rows) => rows.map((r) => ((r.x as number) > 0 ? [0.75, 0.25] : [0.125, 0.875])),
});

async function listen(app: App): Promise<number> {
  await app.fastify.listen({ host: "127.0.0.1", port: 0 });
  return (app.fastify.server.address() as AddressInfo).port;
}

function send(
  port: number,
  method: string,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path: url, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function inject(app: App, method: string, url: string, body: string, headers: Record<string, string>) {
  const res = await app.fastify.inject({ method: method as "POST", url, payload: body, headers });
  return { status: res.statusCode, headers: res.headers as Record<string, string>, body: res.body };
}

// Headers that differ between any two answers (date, connection handling, timings) are compared by form.
const VOLATILE = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);
function comparable(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (VOLATILE.has(k)) continue;
    out[k] = k === "server-timing" ? String(v).replace(/dur=\d+\.\d{3}$/, "dur=N") : String(v);
  }
  return out;
}

const JSON_HEADERS = { "content-type": "application/json" };
/** A V2 tensor in its JSON form. */
const tensor = (name: string, shape: number[], data: number[]) => ({ name, shape, datatype: "FP64", data });
/** A V2 infer body of these tensors. */
const v2 = (inputs: object[]) => JSON.stringify({ inputs });
const big = (n: number) => JSON.stringify({ instances: Array.from({ length: n }, () => IRIS_ROW) });

/** Every case the lane takes: successes and each refusal it answers itself. */
const CASES: [string, string, string, Record<string, string>?][] = [
  ["named row", "/predict", JSON.stringify(IRIS_ROW)],
  ["positional row", "/predict", JSON.stringify({ features: [6.3, 2.8, 5.1, 1.5] })],
  ["probabilities", "/predict_proba", JSON.stringify(IRIS_ROW)],
  ["batch", "/predict/batch", JSON.stringify({ instances: [IRIS_ROW, { features: [6.3, 2.8, 5.1, 1.5] }] })],
  ["probability batch", "/predict_proba/batch", JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] })],
  ["by name", "/models/linear/predict", JSON.stringify(LINEAR_ROW)],
  ["by version", "/models/linear/versions/2/predict", JSON.stringify(LINEAR_ROW)],
  [
    "by version, batch",
    "/models/heuristic/versions/1/predict/batch",
    JSON.stringify({ instances: [IRIS_ROW] }),
  ],
  // Numbers read straight from the bytes (schema/json-rows.ts), and the bodies of those shapes that
  // still need the general path.
  [
    "positional batch",
    "/predict/batch",
    JSON.stringify({
      instances: [
        [6.3, 2.8, 5.1, 1.5],
        [5, 3, 1.5, 0.2],
      ],
    }),
  ],
  [
    "positional batch: whitespace, exponents, long decimals",
    "/predict_proba/batch",
    '{ "instances" :\n [ [ 6.3e0 , 2.8 ,5.1E+0,\t1.5 ] ,\r\n[5.000000000000000000001,3,15e-1,0.2]]\n }\n',
  ],
  ["positional row, 17 digits", "/predict", '{"features": [6.3000000000000007, -0.0, 51e-1, 1.5]}'],
  [
    "positional batch out of range",
    "/predict/batch",
    JSON.stringify({
      instances: [
        [6, 3, 5, 2],
        [1, 2, 3, 400],
      ],
    }),
  ],
  ["positional batch, a row too long", "/predict/batch", JSON.stringify({ instances: [[6, 3, 5, 2, 1]] })],
  [
    "positional batch, ragged",
    "/predict/batch",
    JSON.stringify({
      instances: [
        [6, 3, 5, 2],
        [6, 3, 5],
      ],
    }),
  ],
  ["positional batch, 1e400", "/predict/batch", '{"instances": [[6, 3, 5, 1e400]]}'],
  ["positional row, too short", "/predict", JSON.stringify({ features: [6, 3] })],
  ["positional row, a trailing comma", "/predict", '{"features": [6, 3, 5, 2,]}'],
  ["positional row, a leading zero", "/predict", '{"features": [06, 3, 5, 2]}'],
  [
    "positional batch, instances twice",
    "/predict/batch",
    '{"instances": [[6, 3, 5, 2]], "instances": [[1, 1, 1, 1]]}',
  ],
  ["positional row, text after it", "/predict", '{"features": [6, 3, 5, 2]} x'],
  [
    "positional rows to a model with text inputs",
    "/models/linear/predict/batch",
    '{"instances": [[1, 2, 3, 4, 5, 6]]}',
  ],
  [
    "named batch, keys in another order",
    "/predict/batch",
    JSON.stringify({
      instances: [{ petal_width: 0.2, sepal_length: 5.1, petal_length: 1.4, sepal_width: 3.5 }],
    }),
  ],
  [
    "named rows, keys in two orders",
    "/predict_proba/batch",
    JSON.stringify({
      instances: [IRIS_ROW, { petal_width: 0.2, sepal_length: 5.1, petal_length: 1.4, sepal_width: 3.5 }],
    }),
  ],
  ["named row, a missing value", "/predict", JSON.stringify({ ...IRIS_ROW, petal_width: null })],
  [
    "named row, a key twice",
    "/predict",
    '{"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": 4, "petal_width": 5}',
  ],
  [
    "named row, an escaped key",
    "/predict",
    '{"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_widt\\u0068": 4}',
  ],
  ["named row out of range", "/predict", JSON.stringify({ ...IRIS_ROW, petal_width: 400 })],
  ["too many positional rows", "/predict/batch", JSON.stringify({ instances: Array(6).fill([6, 3, 5, 2]) })],
  ["trailing slash", "/predict/", JSON.stringify(IRIS_ROW)],
  ["charset", "/predict", JSON.stringify(IRIS_ROW), { "content-type": "application/json; charset=utf-8" }],
  ["routing key", "/predict", JSON.stringify(IRIS_ROW), { "x-routing-key": "user-7" }],
  ["unknown model", "/models/nope/predict", JSON.stringify(IRIS_ROW)],
  ["unknown version", "/models/linear/versions/9/predict", JSON.stringify(LINEAR_ROW)],
  ["proba of a regressor", "/models/linear/predict_proba", JSON.stringify(LINEAR_ROW)],
  ["malformed JSON", "/predict", '{"features": [1, 2'],
  ["too deep", "/predict", `${"[".repeat(200)}${"]".repeat(200)}`],
  ["too many rows", "/predict/batch", big(6)],
  ["not an object", "/predict", "[1, 2, 3]"],
  ["a string", "/predict", '"x"'],
  ["null", "/predict", "null"],
  ["wrong type", "/predict", JSON.stringify({ ...IRIS_ROW, sepal_length: "long" })],
  ["missing feature", "/predict", JSON.stringify({ sepal_length: 1 })],
  ["unknown feature", "/predict", JSON.stringify({ ...IRIS_ROW, colour: 1 })],
  ["no instances", "/predict/batch", JSON.stringify({ rows: [] })],
  ["extra field", "/predict/batch", JSON.stringify({ instances: [IRIS_ROW], x: 1 })],
  ["empty batch", "/predict/batch", JSON.stringify({ instances: [] })],
  ["instances not an array", "/predict/batch", JSON.stringify({ instances: 3 })],
  ["bad row in a batch", "/predict/batch", JSON.stringify({ instances: [IRIS_ROW, { features: [1] }] })],
  ["non-ASCII text", "/models/linear/predict", JSON.stringify({ ...LINEAR_ROW, note: "é ✓ 日本" })],
  ["non-ASCII labels", "/models/accents/predict", JSON.stringify({ x: 1 })],
  [
    "non-ASCII labels, batch",
    "/models/accents/predict/batch",
    JSON.stringify({ instances: [{ x: 1 }, { x: -1 }] }),
  ],
  [
    "non-ASCII labels, probabilities",
    "/models/accents/predict_proba/batch",
    JSON.stringify({ instances: [{ x: -1 }] }),
  ],
  ["invalid UTF-8", "/predict", '{"features": [1, 2, 3, "\xff"]}'],
  // The Open Inference Protocol's infer: its tensors, answer and error shapes.
  [
    "V2: one [1, 4] tensor",
    "/v2/models/heuristic/infer",
    v2([tensor("input-0", [1, 4], [5.1, 3.5, 1.4, 0.2])]),
  ],
  [
    "V2: a tensor per input, an id and outputs asked for",
    "/v2/models/heuristic/infer",
    JSON.stringify({
      id: "req-1",
      inputs: Object.entries(IRIS_ROW).map(([k, x]) => tensor(k, [2], [x, x + 1])),
      outputs: [{ name: "predict_proba" }],
    }),
  ],
  ["V2: by version", "/v2/models/heuristic/versions/1/infer", v2([tensor("input-0", [1, 4], [6, 3, 5, 2])])],
  ["V2: trailing slash", "/v2/models/heuristic/infer/", v2([tensor("input-0", [1, 4], [6, 3, 5, 2])])],
  [
    "V2: routing key",
    "/v2/models/heuristic/infer",
    v2([tensor("input-0", [1, 4], [6, 3, 5, 2])]),
    { "x-routing-key": "user-7" },
  ],
  // Plain bodies read from their bytes (protocols/v2/json-infer.ts), and what they still leave to the parser.
  [
    "V2: FP32 rounded, whitespace, exponents",
    "/v2/models/heuristic/infer",
    '{ "id" : "x-1",\n "inputs": [ {"data": [5.1, 3.5e0, 14E-1, 0.2], "datatype": "FP32", "shape": [1, 4], "name": "input-0"} ] }',
  ],
  [
    "V2: a plain tensor per input",
    "/v2/models/heuristic/infer",
    v2(Object.entries(IRIS_ROW).map(([k, x]) => tensor(k, [2], [x, x + 1]))),
  ],
  [
    "V2: INT32 data that is not whole",
    "/v2/models/heuristic/infer",
    v2([{ ...tensor("input-0", [1, 4], [1.5, 2, 3, 4]), datatype: "INT32" }]),
  ],
  [
    "V2: BOOL data that is numbers",
    "/v2/models/heuristic/infer",
    v2([{ ...tensor("input-0", [1, 4], [1, 0, 1, 0]), datatype: "BOOL" }]),
  ],
  ["V2: no data", "/v2/models/heuristic/infer", v2([{ name: "input-0", shape: [1, 4], datatype: "FP64" }])],
  ["V2: an empty tensor", "/v2/models/heuristic/infer", v2([tensor("input-0", [0, 4], [])])],
  [
    "V2: parameters",
    "/v2/models/heuristic/infer",
    JSON.stringify({ inputs: [tensor("input-0", [1, 4], [6, 3, 5, 2])], parameters: { a: 1 } }),
  ],
  [
    "V2: nested data",
    "/v2/models/heuristic/infer",
    v2([tensor("input-0", [1, 4], [[6, 3, 5, 2]] as unknown as number[])]),
  ],
  [
    "V2: a key twice",
    "/v2/models/heuristic/infer",
    '{"inputs": [{"name": "input-0", "name": "x", "shape": [1, 4], "datatype": "FP64", "data": [6, 3, 5, 2]}]}',
  ],
  ["V2: unknown model", "/v2/models/nope/infer", v2([tensor("input-0", [1, 4], [6, 3, 5, 2])])],
  [
    "V2: unknown version",
    "/v2/models/heuristic/versions/9/infer",
    v2([tensor("input-0", [1, 4], [6, 3, 5, 2])]),
  ],
  ["V2: malformed JSON", "/v2/models/heuristic/infer", '{"inputs": ['],
  ["V2: too deep", "/v2/models/heuristic/infer", `${"[".repeat(200)}${"]".repeat(200)}`],
  ["V2: not an object", "/v2/models/heuristic/infer", "[1]"],
  ["V2: inputs not a list", "/v2/models/heuristic/infer", JSON.stringify({ inputs: 3 })],
  [
    "V2: wrong datatype",
    "/v2/models/heuristic/infer",
    v2([{ ...tensor("input-0", [1, 4], [1, 2, 3, 4]), datatype: "X" }]),
  ],
  ["V2: shape and data disagree", "/v2/models/heuristic/infer", v2([tensor("input-0", [1, 4], [1, 2, 3])])],
  ["V2: out of range", "/v2/models/heuristic/infer", v2([tensor("input-0", [1, 4], [1, 2, 3, 400])])],
  [
    "V2: unknown output",
    "/v2/models/heuristic/infer",
    JSON.stringify({ inputs: [tensor("input-0", [1, 4], [1, 2, 3, 4])], outputs: [{ name: "nope" }] }),
  ],
  ["V2: bad id", "/v2/models/heuristic/infer", JSON.stringify({ id: 7, inputs: [] })],
  ["V2: invalid UTF-8", "/v2/models/heuristic/infer", '{"inputs": [], "id": "\xff"}'],
  // KServe V1's predict.
  ["V1: named rows", "/v1/models/heuristic:predict", JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] })],
  ["V1: positional rows", "/v1/models/heuristic:predict", JSON.stringify({ instances: [[6, 3, 5, 2]] })],
  [
    "V1: positional rows out of range",
    "/v1/models/heuristic:predict",
    '{"instances": [[6, 3, 5, 2], [1, 2, 3, 400]]}',
  ],
  ["V1: ragged rows", "/v1/models/heuristic:predict", '{"instances": [[6, 3, 5, 2], [1, 2, 3]]}'],
  [
    "V1: parameters beside the rows",
    "/v1/models/heuristic:predict",
    '{"instances": [[6, 3, 5, 2]], "parameters": {}}',
  ],
  [
    "V1: positional rows to a model with text inputs",
    "/v1/models/linear:predict",
    '{"instances": [[1, 2, 3, 4, 5, 6]]}',
  ],
  ["V1: another model", "/v1/models/linear:predict", JSON.stringify({ instances: [LINEAR_ROW] })],
  ["V1: unknown model", "/v1/models/nope:predict", JSON.stringify({ instances: [IRIS_ROW] })],
  ["V1: malformed JSON", "/v1/models/heuristic:predict", '{"instances": ['],
  ["V1: not an object", "/v1/models/heuristic:predict", "[1]"],
  ["V1: no instances", "/v1/models/heuristic:predict", JSON.stringify({ rows: [] })],
  ["V1: empty", "/v1/models/heuristic:predict", JSON.stringify({ instances: [] })],
  [
    "V1: too many rows",
    "/v1/models/heuristic:predict",
    JSON.stringify({ instances: Array(6).fill(IRIS_ROW) }),
  ],
  ["V1: a bad row", "/v1/models/heuristic:predict", JSON.stringify({ instances: [{ sepal_length: "x" }] })],
];

/** Cases the lane leaves to Fastify (its headers alone say so): they must still be answered right. */
const DECLINED: [string, string, string, string, Record<string, string>][] = [
  ["text body", "POST", "/predict", "x", { "content-type": "text/plain" }],
  ["no content type", "POST", "/predict", JSON.stringify(IRIS_ROW), {}],
  [
    "vendor JSON type",
    "POST",
    "/predict",
    JSON.stringify(IRIS_ROW),
    { "content-type": "application/vnd.x+json" },
  ],
  ["query string", "POST", "/predict?debug=1", JSON.stringify(IRIS_ROW), JSON_HEADERS],
  ["encoded name", "POST", "/models/line%61r/predict", JSON.stringify(LINEAR_ROW), JSON_HEADERS],
  ["GET", "GET", "/predict", "", {}],
  ["over the body limit", "POST", "/predict/batch", big(200), JSON_HEADERS],
  ["empty body", "POST", "/predict", "", JSON_HEADERS],
  [
    "gzip-encoded",
    "POST",
    "/predict",
    JSON.stringify(IRIS_ROW),
    { ...JSON_HEADERS, "content-encoding": "gzip" },
  ],
  ["upper case path", "POST", "/PREDICT", JSON.stringify(IRIS_ROW), JSON_HEADERS],
];

describe("the fast lane's routes", () => {
  it("matches the native prediction routes, V2's infer, V1's predict, and nothing else", () => {
    assert.deepEqual(matchLaneRoute("/v1/models/iris:predict"), {
      pattern: "/v1/models/:name:predict",
      fastifyPattern: "/v1/models/:name(^[^:/]+)::predict",
      name: "iris",
      method: "predict",
      batch: false,
      protocol: "v1",
    });
    assert.deepEqual(matchLaneRoute("/v2/models/iris/infer"), {
      pattern: "/v2/models/:name/infer",
      name: "iris",
      method: "predict",
      batch: false,
      protocol: "v2",
    });
    assert.deepEqual(matchLaneRoute("/v2/models/iris/versions/3/infer/"), {
      pattern: "/v2/models/:name/versions/:version/infer",
      name: "iris",
      version: "3",
      method: "predict",
      batch: false,
      protocol: "v2",
    });
    assert.deepEqual(matchLaneRoute("/predict"), { pattern: "/predict", method: "predict", batch: false });
    assert.deepEqual(matchLaneRoute("/predict_proba/batch/"), {
      pattern: "/predict_proba/batch",
      method: "predict_proba",
      batch: true,
    });
    assert.deepEqual(matchLaneRoute("/models/a.b-c_1/versions/2.0/predict"), {
      pattern: "/models/:name/versions/:version/predict",
      name: "a.b-c_1",
      version: "2.0",
      method: "predict",
      batch: false,
    });
    for (const url of [
      "/predict?x=1",
      "/predict//",
      "/models/a%20b/predict",
      "/models//predict",
      "/models/a/versions/predict/batch/x",
      "/v2/models/a/infer?x=1",
      "/v2/models/a/ready",
      "/v2/models//infer",
      "/v2/models/a/versions/1/infer/x",
      "/v2/models/a%20b/infer",
      "/v1/models/a:predict/",
      "/v1/models/a:predict?x",
      "/v1/models/a",
      "/explain",
      "/predict/batch/batch",
      "/models/a/b/predict",
    ])
      assert.equal(matchLaneRoute(url), undefined, url);
  });

  it("sees a host's request hooks on the root instance", async () => {
    const plain = buildApp(makeRegistry(), { logger: pino({ level: "silent" }) });
    await plain.fastify.ready();
    assert.equal(hasRequestHooks(plain.fastify), false);
    await plain.fastify.close();
    const hooked = buildApp(makeRegistry(), { logger: pino({ level: "silent" }) });
    // Fastify adds a hook once the plugins before it have loaded.
    hooked.fastify.addHook("onResponse", (_req, _reply, done) => done());
    await hooked.fastify.ready();
    assert.equal(hasRequestHooks(hooked.fastify), true);
    await hooked.fastify.close();
    assert.equal(hasRequestHooks({}), true, "an instance without Fastify's hooks is not trusted");
  });
});

/** An app listening for the tests of the enclosing `describe`, with its captured log lines. */
function served(options: Omit<AppOptions, "logger">): {
  app: App;
  port: number;
  lines: Record<string, unknown>[];
} {
  const { logger, lines } = capture();
  const s = { app: undefined as unknown as App, port: 0, lines };
  before(async () => {
    s.app = buildApp(makeRegistry(), { logger, ...options });
    s.port = await listen(s.app);
  });
  after(() => s.app.fastify.close());
  return s;
}

describe("the fast lane answers as Fastify does", () => {
  const s = served({ maxBatchSize: 5, bodyLimit: 4096 });
  const { lines } = s;

  it("is in front of Fastify", () => {
    const ready = lines.find((l) => l.msg === "prediction routes");
    assert.equal(ready?.fastLane, true);
  });

  for (const [name, url, body, headers] of CASES) {
    // Bounded: an answer shorter than its content-length would leave the client waiting for the rest.
    it(`${name}: same status, headers, body and log line`, { timeout: 20_000 }, async () => {
      const h = { ...JSON_HEADERS, ...headers, "x-request-id": `same-${name.replace(/\W/g, "-")}` };
      const before = lines.length;
      const taken = laneTaken(s.app.fastify.server);
      const lane = await send(s.port, "POST", url, body, h);
      // The socket's request was the lane's; inject's goes to Fastify alone.
      assert.equal(laneTaken(s.app.fastify.server), taken + 1);
      const viaFastify = await inject(s.app, "POST", url, body, h);
      assert.equal(laneTaken(s.app.fastify.server), taken + 1);
      assert.equal(lane.status, viaFastify.status);
      assert.equal(lane.body, viaFastify.body);
      assert.deepEqual(comparable(lane.headers), comparable(viaFastify.headers));
      // The request lines are written after the answers: wait for both.
      for (let i = 0; i < 50 && lines.slice(before).filter((l) => l.msg === "request").length < 2; i++)
        await new Promise((r) => setTimeout(r, 10));
      const logged = lines.slice(before).filter((l) => l.msg === "request" || l.level === 50);
      const requestLines = logged.filter((l) => l.msg === "request");
      assert.equal(requestLines.length, 2, JSON.stringify(logged));
      const [a, b] = requestLines.map(({ time: _t, latencyMs, ...rest }) => {
        assert.equal(typeof latencyMs, "number");
        return rest;
      });
      assert.deepEqual(a, b);
      assert.equal(a.reqId, h["x-request-id"]);
    });
  }

  it("counts its requests and errors in the metrics like Fastify's", async () => {
    const scrape = async () => (await s.app.fastify.inject({ method: "GET", url: "/metrics" })).body;
    const count = (text: string, pattern: RegExp) =>
      text
        .split("\n")
        .filter((l) => pattern.test(l))
        .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    const m0 = await scrape();
    await send(s.port, "POST", "/predict", JSON.stringify(IRIS_ROW), JSON_HEADERS);
    await send(s.port, "POST", "/predict", "{", JSON_HEADERS);
    const m1 = await scrape();
    const ok = /^modelserve_http_requests_total\{.*route="\/predict".*status="200"/;
    assert.equal(count(m1, ok) - count(m0, ok), 1);
    const bad = /^modelserve_errors_total\{.*code="MS_MALFORMED_JSON"/;
    assert.equal(count(m1, bad) - count(m0, bad), 1);
    // V2's infer likewise, under its own route.
    await send(
      s.port,
      "POST",
      "/v2/models/heuristic/infer",
      v2([tensor("input-0", [1, 4], [6, 3, 5, 2])]),
      JSON_HEADERS,
    );
    await send(s.port, "POST", "/v2/models/heuristic/infer", JSON.stringify({ inputs: 3 }), JSON_HEADERS);
    const m2 = await scrape();
    const v2ok = /^modelserve_http_requests_total\{.*route="\/v2\/models\/:name\/infer".*status="200"/;
    assert.equal(count(m2, v2ok) - count(m1, v2ok), 1);
    const v2bad = /^modelserve_errors_total\{.*code="MS_INVALID_INFER_REQUEST"/;
    assert.equal(count(m2, v2bad) - count(m1, v2bad), 1);
  });

  for (const [name, method, url, body, headers] of DECLINED) {
    it(`leaves ${name} to Fastify, which answers it`, async () => {
      const h = { ...headers, "x-request-id": "declined" };
      const taken = laneTaken(s.app.fastify.server);
      const lane = await send(s.port, method, url, body, h);
      assert.equal(laneTaken(s.app.fastify.server), taken, "the lane took it");
      const viaFastify = await inject(s.app, method, url, body, h);
      assert.equal(lane.status, viaFastify.status);
      assert.equal(lane.body, viaFastify.body);
    });
  }
});

describe("the fast lane stands aside", () => {
  it("for a host's hooks on the root instance, which then run for every prediction", async () => {
    const { logger, lines } = capture();
    const app = buildApp(makeRegistry(), { logger });
    let seen = 0;
    app.fastify.addHook("onRequest", (_req, _reply, done) => {
      seen++;
      done();
    });
    const port = await listen(app);
    try {
      const res = await send(port, "POST", "/predict", JSON.stringify(IRIS_ROW), JSON_HEADERS);
      assert.equal(res.status, 200);
      assert.equal(seen, 1);
      const ready = lines.find((l) => l.msg === "prediction routes");
      assert.equal(ready?.fastLane, false);
      assert.match(String(ready?.reason), /hooks/);
    } finally {
      await app.fastify.close();
    }
  });

  for (const [what, options, reason] of [["fastLane: false", { fastLane: false }, /turned off/]] as const) {
    it(`with ${what}`, async () => {
      const { logger, lines } = capture();
      const app = buildApp(makeRegistry(), { logger, ...options });
      const port = await listen(app);
      try {
        const res = await send(port, "POST", "/predict", JSON.stringify(IRIS_ROW), JSON_HEADERS);
        assert.equal(res.status, 200);
        const ready = lines.find((l) => l.msg === "prediction routes");
        assert.equal(ready?.fastLane, false);
        assert.match(String(ready?.reason), reason);
      } finally {
        await app.fastify.close();
      }
    });
  }
});

describe("the fast lane with API keys", () => {
  const s = served({ apiKeys: "svc:k-predict-1234567890:predict,ro:k-read-1234567890:read" });
  const { lines } = s;

  it("serves a key with the predict scope and logs its id; leaves refusals to the access hook", async () => {
    assert.equal(lines.find((l) => l.msg === "prediction routes")?.fastLane, true);
    const body = JSON.stringify(IRIS_ROW);
    const cases: [Record<string, string>, number][] = [
      [{ authorization: "Bearer k-predict-1234567890" }, 200],
      [{ "x-api-key": "k-predict-1234567890" }, 200],
      [{}, 401],
      [{ authorization: "Bearer wrong-key-000000000" }, 401],
      [{ authorization: "Bearer k-read-1234567890" }, 403],
    ];
    for (const [auth, status] of cases) {
      const h = { ...JSON_HEADERS, ...auth, "x-request-id": `key-${status}` };
      const lane = await send(s.port, "POST", "/predict", body, h);
      const viaFastify = await inject(s.app, "POST", "/predict", body, h);
      assert.equal(lane.status, status, JSON.stringify(auth));
      assert.equal(lane.body, viaFastify.body);
      assert.deepEqual(comparable(lane.headers), comparable(viaFastify.headers));
    }
    await new Promise((r) => setTimeout(r, 50));
    const served = lines.filter((l) => l.msg === "request" && l.status === 200);
    assert.equal(served.length, 4);
    for (const l of served) assert.equal(l.keyId, "svc");
  });
});

/** A few cases of each kind (answers and refusals, native and V2), for the settings that add to every answer. */
const SAMPLE = ["named row", "batch", "unknown model", "malformed JSON", "V2: one [1, 4] tensor"];

/** The cases of {@link CASES} with these names. */
const casesNamed = (...names: string[]) => CASES.filter(([name]) => names.includes(name));

/** A test that the app's lane is on (its `prediction routes` debug line says so). */
function itTakesTheLane(lines: Record<string, unknown>[]): void {
  it("is in front of Fastify", () => {
    assert.equal(lines.find((l) => l.msg === "prediction routes")?.fastLane, true);
  });
}

// The rate limit's headers, with the remaining count apart: the lane and Fastify count in one store,
// so of two requests in a row the second has one less left.
function limitOf(h: Record<string, string>): { remaining: number; rest: Record<string, string> } {
  const { "ratelimit-remaining": remaining, ...rest } = comparable(h);
  return { remaining: Number(remaining), rest };
}

describe("the fast lane with rate limits", () => {
  const max = 40;
  const s = served({ maxBatchSize: 5, rateLimit: max, rateLimitWindowMs: 60_000 });
  const { lines } = s;
  // Every request below counts: the remaining count runs down from the first one.
  let used = 0;

  itTakesTheLane(lines);

  const cases = casesNamed(...SAMPLE, "wrong type", "V2: malformed JSON", "V1: named rows");
  for (const [name, url, body, headers] of cases) {
    it(`${name}: same answer, rate-limit headers included`, async () => {
      const h = { ...JSON_HEADERS, ...headers, "x-request-id": `limited-${name.replace(/\W/g, "-")}` };
      const taken = laneTaken(s.app.fastify.server);
      const lane = await send(s.port, "POST", url, body, h);
      assert.equal(laneTaken(s.app.fastify.server), taken + 1);
      const viaFastify = await inject(s.app, "POST", url, body, h);
      used += 2;
      assert.equal(lane.status, viaFastify.status);
      assert.equal(lane.body, viaFastify.body);
      const a = limitOf(lane.headers);
      const b = limitOf(viaFastify.headers);
      assert.deepEqual(a.rest, b.rest);
      assert.equal(a.rest["ratelimit-limit"], String(max));
      assert.match(a.rest["ratelimit-reset"] ?? "", /^\d+$/);
      assert.equal(a.remaining, max - (used - 1));
      assert.equal(b.remaining, max - used);
    });
  }

  it("refuses past the limit with Fastify's 429, and counts it in the metrics and the log", async () => {
    const body = JSON.stringify(IRIS_ROW);
    while (used < max) {
      const r = await send(s.port, "POST", "/predict", body, JSON_HEADERS);
      used++;
      assert.equal(r.status, 200);
      assert.equal(r.headers["ratelimit-remaining"], String(max - used));
    }
    // `/metrics` is limited too: scraped from another address.
    const scrape = async () =>
      (await s.app.fastify.inject({ method: "GET", url: "/metrics", remoteAddress: "10.0.0.9" })).body;
    const limited = (text: string) =>
      text
        .split("\n")
        .filter((l) => /^modelserve_errors_total\{.*code="MS_RATE_LIMITED"/.test(l))
        .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    const m0 = limited(await scrape());
    const before = lines.length;
    // Past the limit the body is not even read: a malformed one gets the 429 all the same.
    for (const [url, text] of [
      ["/predict", body],
      ["/predict", "{"],
      ["/v2/models/heuristic/infer", v2([tensor("input-0", [1, 4], [6, 3, 5, 2])])],
      ["/v1/models/heuristic:predict", JSON.stringify({ instances: [IRIS_ROW] })],
    ]) {
      const h = { ...JSON_HEADERS, "x-request-id": "over" };
      const taken = laneTaken(s.app.fastify.server);
      const lane = await send(s.port, "POST", url, text, h);
      assert.equal(laneTaken(s.app.fastify.server), taken + 1);
      const viaFastify = await inject(s.app, "POST", url, text, h);
      assert.equal(lane.status, 429, url);
      assert.equal(lane.body, viaFastify.body);
      assert.deepEqual(comparable(lane.headers), comparable(viaFastify.headers));
      assert.equal(lane.headers["ratelimit-remaining"], "0");
      assert.match(lane.headers["retry-after"] ?? "", /^\d+$/);
      assert.equal(JSON.parse(lane.body).error?.code ?? JSON.parse(lane.body).code, "MS_RATE_LIMITED");
    }
    assert.equal(limited(await scrape()) - m0, 8);
    for (let i = 0; i < 50 && lines.slice(before).filter((l) => l.msg === "request").length < 9; i++)
      await new Promise((r) => setTimeout(r, 10));
    const logged = lines.slice(before).filter((l) => l.msg === "request" && l.method === "POST");
    assert.equal(logged.length, 8);
    for (const l of logged) assert.equal(l.status, 429);
  });

  it("keeps health probes open past the limit", async () => {
    const r = await send(s.port, "GET", "/health", "", {});
    assert.equal(r.status, 200);
  });
});

describe("the fast lane with rate limits by address behind a trusted proxy", () => {
  const s = served({ rateLimit: 3, trustProxy: true });

  it("counts each client by its X-Forwarded-For address, as Fastify's request.ip names it", async () => {
    const body = JSON.stringify(IRIS_ROW);
    const from = (xff: string) => ({ ...JSON_HEADERS, "x-forwarded-for": xff });
    // One client behind two proxies, its address first; its requests through the lane and Fastify.
    const client = "203.0.113.7, 10.0.0.2";
    const statuses: number[] = [];
    const taken = laneTaken(s.app.fastify.server);
    statuses.push((await send(s.port, "POST", "/predict", body, from(client))).status);
    statuses.push((await inject(s.app, "POST", "/predict", body, from(" 203.0.113.7 ,10.0.0.9"))).status);
    statuses.push((await send(s.port, "POST", "/predict", body, from("203.0.113.7"))).status);
    const over = await send(s.port, "POST", "/predict", body, from(client));
    statuses.push(over.status);
    assert.equal(laneTaken(s.app.fastify.server), taken + 3);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    // Another client, and a request without the header (the proxy's own address), each their own window.
    const other = await send(s.port, "POST", "/predict", body, from("198.51.100.4, 10.0.0.2"));
    assert.equal(other.status, 200);
    assert.equal(other.headers["ratelimit-remaining"], "2");
    const direct = await send(s.port, "POST", "/predict", body, JSON_HEADERS);
    assert.equal(direct.headers["ratelimit-remaining"], "2");
  });
});

describe("the fast lane with rate limits per API key", () => {
  const s = served({ rateLimit: 3, apiKeys: "a:k-aaaa-1234567890:predict,b:k-bbbb-1234567890:predict" });

  it("counts each key apart, whichever path its requests take", async () => {
    const body = JSON.stringify(IRIS_ROW);
    const as = (key: string) => ({ ...JSON_HEADERS, authorization: `Bearer ${key}` });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await send(s.port, "POST", "/predict", body, as("k-aaaa-1234567890"))).status);
    statuses.push((await inject(s.app, "POST", "/predict", body, as("k-aaaa-1234567890"))).status);
    const over = await send(s.port, "POST", "/predict", body, as("k-aaaa-1234567890"));
    statuses.push(over.status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(over.headers["ratelimit-limit"], "3");
    // Another key has its own window.
    const other = await send(s.port, "POST", "/predict", body, as("k-bbbb-1234567890"));
    assert.equal(other.status, 200);
    assert.equal(other.headers["ratelimit-remaining"], "2");
  });
});

for (const [what, cors] of [
  ["any origin", "*"],
  ["listed origins", "https://a.example, https://b.example"],
] as const) {
  describe(`the fast lane with CORS for ${what}`, () => {
    const s = served({ maxBatchSize: 5, cors });
    const { lines } = s;

    itTakesTheLane(lines);

    const cases = casesNamed(...SAMPLE, "V1: unknown model");
    for (const origin of [undefined, "https://a.example", "https://elsewhere.example"])
      for (const [name, url, body] of cases) {
        it(`${name}, ${origin ?? "no origin"}: the CORS plugin's headers, as Fastify answers`, async () => {
          const h: Record<string, string> = { ...JSON_HEADERS, "x-request-id": "cors" };
          if (origin) h.origin = origin;
          const taken = laneTaken(s.app.fastify.server);
          const lane = await send(s.port, "POST", url, body, h);
          assert.equal(laneTaken(s.app.fastify.server), taken + 1);
          const viaFastify = await inject(s.app, "POST", url, body, h);
          assert.equal(lane.status, viaFastify.status);
          assert.equal(lane.body, viaFastify.body);
          assert.deepEqual(comparable(lane.headers), comparable(viaFastify.headers));
          assert.match(lane.headers["access-control-expose-headers"] ?? "", /x-request-id, x-error-code/);
          const allowed = cors === "*" ? "*" : origin === "https://a.example" ? origin : undefined;
          assert.equal(lane.headers["access-control-allow-origin"], allowed);
          assert.equal(lane.headers.vary, cors === "*" ? undefined : "Origin");
        });
      }

    it("leaves preflights to the plugin", async () => {
      const h = { origin: "https://a.example", "access-control-request-method": "POST" };
      const taken = laneTaken(s.app.fastify.server);
      const r = await send(s.port, "OPTIONS", "/predict", "", h);
      assert.equal(laneTaken(s.app.fastify.server), taken);
      assert.equal(r.status, 204);
      assert.match(r.headers["access-control-allow-methods"] ?? "", /POST/);
    });
  });
}

describe("the fast lane with CORS and a rate limit", () => {
  const s = served({ cors: "https://a.example", rateLimit: 50 });

  it("gives an answer both plugins' headers, as Fastify does", async () => {
    const h = { ...JSON_HEADERS, origin: "https://a.example", "x-request-id": "both" };
    const body = JSON.stringify(IRIS_ROW);
    const lane = await send(s.port, "POST", "/predict", body, h);
    const viaFastify = await inject(s.app, "POST", "/predict", body, h);
    assert.equal(lane.body, viaFastify.body);
    const a = limitOf(lane.headers);
    const b = limitOf(viaFastify.headers);
    assert.deepEqual(a.rest, b.rest);
    assert.equal(a.remaining, b.remaining + 1);
    assert.equal(a.rest["access-control-allow-origin"], "https://a.example");
    assert.equal(a.rest["ratelimit-limit"], "50");
  });
});

/** One answer read off a connection: status, request id, rate-limit count left, body. */
interface Piped {
  status: number;
  id: string;
  remaining?: string;
  body: string;
}

/** Sends `sent` back to back on one connection (ids `p0`, `p1`, …) and reads the answers in order. */
async function pipelined(port: number, sent: readonly (readonly [string, string])[]): Promise<Piped[]> {
  const wire = sent
    .map(
      ([url, body], i) =>
        `POST ${url} HTTP/1.1\r\nHost: x\r\nX-Request-Id: p${i}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    .join("");
  const raw = await new Promise<string>((resolve, reject) => {
    let out = "";
    const socket = connect(port, "127.0.0.1", () => socket.end(wire));
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      out += d;
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
  // Each answer: a status line, headers, then a body of its Content-Length.
  const answers: Piped[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const head = rest.slice(0, rest.indexOf("\r\n\r\n"));
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    const start = head.length + 4;
    answers.push({
      status: Number(head.split(" ")[1]),
      id: String(/x-request-id: (\S+)/i.exec(head)?.[1]),
      remaining: /ratelimit-remaining: (\d+)/i.exec(head)?.[1],
      body: rest.slice(start, start + length),
    });
    rest = rest.slice(start + length);
  }
  return answers;
}

describe("the fast lane with pipelined requests", () => {
  const s = served({});

  it("answers requests sent back to back on one connection in order, each its own answer", async () => {
    const sent: [string, string][] = [
      ["/predict", JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] })],
      ["/predict_proba", JSON.stringify({ features: [6.3, 2.8, 5.1, 1.5] })],
      ["/predict", "{bad"],
      ["/predict/batch", JSON.stringify({ instances: [IRIS_ROW, { features: [7.7, 3.0, 6.1, 2.3] }] })],
      ["/models/linear/predict", JSON.stringify(LINEAR_ROW)],
    ];
    const answers = await pipelined(s.port, sent);
    assert.deepEqual(
      answers.map((a) => a.id),
      sent.map((_, i) => `p${i}`),
    );
    for (const [i, [url, body]] of sent.entries()) {
      const expected = await inject(s.app, "POST", url, body, { ...JSON_HEADERS, "x-request-id": `p${i}` });
      assert.equal(answers[i]!.status, expected.status, url);
      assert.equal(answers[i]!.body, expected.body, url);
    }
  });

  for (const fastLane of [true, false])
    describe(`under a rate limit, ${fastLane ? "through the lane" : "through Fastify"}`, () => {
      const limited = served({ rateLimit: 2, fastLane });

      it("gives each pipelined request its own count", async () => {
        // Counted as they arrive, before the first is answered: each must still read its own count,
        // not the last one (the in-memory store hands out one record per client, changed in place).
        const row = JSON.stringify(IRIS_ROW);
        const answers = await pipelined(limited.port, [
          ["/predict", row],
          ["/predict", row],
          ["/predict", row],
          ["/predict", row],
        ]);
        assert.deepEqual(
          answers.map((a) => [a.status, a.remaining]),
          [
            [200, "1"],
            [200, "0"],
            [429, "0"],
            [429, "0"],
          ],
        );
      });
    });
});

/**
 * Checks the audit file holds two records for each request id `${prefix}-${i}` (`n` of them, one via
 * each path) and nothing else, the two equal but for time and latency.
 */
function assertAuditPairs(target: string, prefix: string, n: number): void {
  const entries = readFileSync(target, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(entries.length, 2 * n);
  for (let i = 0; i < n; i++) {
    const pair = entries
      .filter((e) => e.reqId === `${prefix}-${i}`)
      .map(({ time: _t, latencyMs: _l, ...rest }) => rest);
    assert.equal(pair.length, 2);
    assert.deepEqual(pair[0], pair[1]);
  }
}

describe("the fast lane's audit entries", () => {
  it("are Fastify's, field for field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-lane-audit-"));
    const target = join(dir, "audit.jsonl");
    const app = buildApp(makeRegistry(), { logger: pino({ level: "silent" }), audit: { target, sample: 1 } });
    const port = await listen(app);
    const sent: [string, string][] = [
      ["/predict", JSON.stringify(IRIS_ROW)],
      ["/predict_proba/batch", JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] })],
      ["/models/linear/versions/2/predict", JSON.stringify(LINEAR_ROW)],
      // Rows read straight from the bytes: the record holds the rows as sent.
      ["/predict/batch", '{"instances": [[6.3, 2.8, 5.1, 1.5], [5.0, 3e0, 1.50, 0.2]]}'],
      ["/predict", '{"features": [6.3, 2.8, 5.1, 1.5]}'],
      ["/predict", '{"sepal_length": 6.3, "sepal_width": 2.8, "petal_length": 5.1, "petal_width": 1.5}'],
      ["/v1/models/heuristic:predict", '{"instances": [[6.3, 2.8, 5.1, 1.5], [5, 3, 1.5, 0.2]]}'],
    ];
    for (const [i, [url, body]] of sent.entries()) {
      const h = { ...JSON_HEADERS, "x-request-id": `audit-${i}` };
      assert.equal((await send(port, "POST", url, body, h)).status, 200);
      assert.equal((await inject(app, "POST", url, body, h)).status, 200);
    }
    await app.fastify.close();
    assertAuditPairs(target, "audit", sent.length);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the fast lane with the durable audit (auditSync each)", () => {
  it("writes each sampled record before its answer, as Fastify does, field for field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-lane-durable-"));
    const target = join(dir, "audit.jsonl");
    const { logger, lines } = capture();
    const app = buildApp(makeRegistry(), { logger, audit: { target, sample: 1, sync: "each" } });
    const port = await listen(app);
    try {
      assert.equal(lines.find((l) => l.msg === "prediction routes")?.fastLane, true);
      const sent: [string, string][] = [
        ["/predict", JSON.stringify(IRIS_ROW)],
        ["/models/linear/versions/2/predict", JSON.stringify(LINEAR_ROW)],
        ["/v2/models/heuristic/infer", v2([tensor("input-0", [1, 4], [6, 3, 5, 2])])],
        ["/v1/models/heuristic:predict", JSON.stringify({ instances: [IRIS_ROW] })],
      ];
      for (const [i, [url, body]] of sent.entries()) {
        const h = { ...JSON_HEADERS, "x-request-id": `durable-${i}` };
        const taken = laneTaken(app.fastify.server);
        assert.equal((await send(port, "POST", url, body, h)).status, 200);
        assert.equal(laneTaken(app.fastify.server), taken + 1);
        // No flush, no close: the lane's record is on disk when its answer is.
        const onDisk = readFileSync(target, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).reqId);
        assert.equal(onDisk.at(-1), `durable-${i}`);
        assert.equal((await inject(app, "POST", url, body, h)).status, 200);
      }
      // One record per answer: written before it, not again at the end of the request.
      assertAuditPairs(target, "durable", sent.length);
    } finally {
      await app.fastify.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("withholds the answer with Fastify's 503 when the record cannot be written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ms-lane-durable-"));
    // A directory where the file should be: every write fails.
    const target = join(dir, "a-directory");
    mkdirSync(target);
    const app = buildApp(makeRegistry(), {
      logger: pino({ level: "silent" }),
      audit: { target, sample: 1, sync: "each" },
    });
    const port = await listen(app);
    try {
      for (const url of ["/predict", "/v2/models/heuristic/infer"]) {
        const body =
          url === "/predict" ? JSON.stringify(IRIS_ROW) : v2([tensor("input-0", [1, 4], [6, 3, 5, 2])]);
        const h = { ...JSON_HEADERS, "x-request-id": "no-record" };
        const taken = laneTaken(app.fastify.server);
        const lane = await send(port, "POST", url, body, h);
        assert.equal(laneTaken(app.fastify.server), taken + 1);
        const viaFastify = await inject(app, "POST", url, body, h);
        assert.equal(lane.status, 503, url);
        assert.equal(lane.body, viaFastify.body);
        assert.deepEqual(comparable(lane.headers), comparable(viaFastify.headers));
        assert.match(lane.body, /MS_AUDIT_UNAVAILABLE/);
        const answer = JSON.parse(lane.body) as Record<string, unknown>;
        // The error alone (native `{error, requestId}`, V2 `{error, code}`): no prediction leaves.
        assert.deepEqual(
          Object.keys(answer).sort(),
          url === "/predict" ? ["error", "requestId"] : ["code", "error"],
        );
      }
    } finally {
      await app.fastify.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the fast lane while draining", () => {
  it("answers with Connection: close once the listener closed", async () => {
    const app = buildApp(makeRegistry(), { logger: pino({ level: "silent" }) });
    const port = await listen(app);
    try {
      app.context.shuttingDown = true;
      const res = await send(port, "POST", "/predict", JSON.stringify(IRIS_ROW), {
        ...JSON_HEADERS,
        connection: "keep-alive",
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.connection, "close");
    } finally {
      await app.fastify.close();
    }
  });
});
