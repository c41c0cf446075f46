/**
 * The typed client: generated for a model of every runtime (scikit-learn, XGBoost, LightGBM, ONNX,
 * TypeScript), compiled with `tsc --strict`, called against a live server on 127.0.0.1, and checked
 * to reject a wrong feature name or category at compile time. Also: the served `/openapi.json`
 * through `openapi-typescript`.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import openapiTS from "openapi-typescript";
import { buildCli } from "../../src/cli/main.ts";
import { type Deployment, deploy } from "../../src/deploy.ts";
import { silent } from "../helpers.ts";
import { tempDir } from "../temp-dir.ts";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const at = (p: string) => join(root, p);
const json = (p: string) => JSON.parse(readFileSync(at(p), "utf8"));

/** One model per runtime, plus a scikit-learn pipeline and a TypeScript model with categories. */
const MODELS = [
  { name: "iris_sklearn", path: "examples/iris/models/random_forest.joblib" },
  { name: "iris_xgboost", path: "examples/iris/models/xgboost.json" },
  { name: "iris_lightgbm", path: "test/fixtures/lightgbm/iris_multiclass/model.txt" },
  { name: "iris_onnx", path: "test/fixtures/onnx/skl2onnx/iris_random_forest_nozipmap/model.onnx" },
  { name: "heuristic", path: "examples/iris/heuristic.ts" },
  { name: "churn", path: "test/fixtures/typescript/churn.ts" },
  { name: "credit-pipeline", path: "test/fixtures/sklearn/1.9.1/prep-ct-ordinal-logreg/model.joblib" },
  { name: "slow", path: "test/fixtures/typescript/slow.ts" },
];

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: "ES2022",
    lib: ["ES2023", "DOM"],
    types: [],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    noUnusedLocals: false,
    skipLibCheck: false,
  },
};

/** Compiles the files of `dir` with `tsc --strict`; resolves to its output (throws on errors). */
async function tsc(dir: string, files: readonly string[]): Promise<void> {
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ ...TSCONFIG, files }));
  try {
    await run(at("node_modules/.bin/tsc"), ["-p", dir], { timeout: 120_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
}

async function generate(source: string, out: string, extra: string[] = []): Promise<string> {
  await (await buildCli()).parseAsync(["node", "modelserve", "client", "--out", out, ...extra, source]);
  return readFileSync(out, "utf8");
}

/** The part of a generated client module these tests call after importing it at run time. */
type ClientModule = {
  createClient(o: {
    baseUrl: string;
    apiKey?: string;
    timeoutMs?: number;
    retries?: number;
    retryDelayMs?: number;
    fetch?: typeof fetch;
  }): { models: Record<string, { predict(row: Record<string, unknown>): Promise<{ prediction: unknown }> }> };
};

const USE = `import { createClient, ModelserveError, type ChurnRow, type IrisSklearnRow } from "./client.ts";

/** Calls every model once and returns what came back, typed. */
export async function callAll(baseUrl: string) {
  const c = createClient({ baseUrl, timeoutMs: 20_000 });
  const iris: IrisSklearnRow = { sepal_length: 5.5, sepal_width: 3.5, petal_length: 1.3, petal_width: 0.2 };
  const sk = await c.models.iris_sklearn.predict(iris);
  const skLabel: "setosa" | "versicolor" | "virginica" = sk.prediction;
  const skBatch = await c.models.iris_sklearn.predictBatch([iris, { ...iris, petal_length: 4.5, petal_width: 1.3 }]);
  const skProba = await c.models.iris_sklearn.predictProba(iris);
  const setosa: number | null = skProba.probabilities.setosa;
  const xgb = await c.models.iris_xgboost.predictProbaBatch([iris]);
  const xgbFirst: 0 | 1 | 2 = xgb.classes[0];
  const lgb = await c.models.iris_lightgbm.predict({ sepal_length: 5.1, sepal_width: 3.4, petal_length: 1.5, petal_width: null });
  const onnx = await c.models.iris_onnx.predict({ x0: 5.5, x1: 3.5, x2: 1.3, x3: 0.2 });
  const onnxClass: 0 | 1 | 2 = onnx.prediction;
  const h = await c.models.heuristic.predict(iris);
  const row: ChurnRow = { tenure_months: 3, monthly_fee: 20, plan: "pro", region: "eu", autopay: false, last_ticket_days: null };
  const churn = await c.models.churn.predict(row);
  const churnLabel: "stay" | "leave" = churn.prediction;
  const pipe = await c.models["credit-pipeline"].predict({ age: 39.7, income: null, city: "lyon", plan: "basic", score: 0.402 });
  const pinned = await c.models.churn.predict(row, { version: "1" });
  let invalid: ModelserveError | undefined;
  try {
    // A value the types forbid, sent anyway (as plain JavaScript callers can).
    await c.models.churn.predict({ ...row, plan: "gold" as "pro" });
  } catch (err) {
    if (err instanceof ModelserveError) invalid = err;
  }
  return {
    sk: skLabel, skBatch: skBatch.predictions, setosa, xgbFirst, xgbProba: xgb.probabilities[0],
    lgb: lgb.prediction, onnx: onnxClass, heuristic: h.prediction, churn: churnLabel,
    pipe: pipe.prediction, pinned: pinned.version,
    invalid: invalid && { code: invalid.code, status: invalid.status, details: invalid.details },
  };
}
`;

const EXPECT_ERRORS = `import { createClient } from "./client.ts";

const c = createClient({ baseUrl: "http://127.0.0.1:9" });
const iris = { sepal_length: 5.5, sepal_width: 3.5, petal_length: 1.3, petal_width: 0.2 };
const churn = { tenure_months: 3, monthly_fee: 20, plan: "pro", region: "eu", autopay: false, last_ticket_days: null } as const;

export async function wrong() {
  // @ts-expect-error a misspelt feature name
  await c.models.iris_sklearn.predict({ sepal_length: 5.5, sepal_width: 3.5, petal_length: 1.3, petal_wdth: 0.2 });
  // @ts-expect-error a feature the model does not have
  await c.models.iris_xgboost.predict({ ...iris, colour: 1 });
  // @ts-expect-error a missing feature
  await c.models.iris_onnx.predict({ x0: 1, x1: 2, x2: 3 });
  // @ts-expect-error a category outside the model's list
  await c.models.churn.predict({ ...churn, plan: "gold" });
  // @ts-expect-error a number where the model takes a category
  await c.models.churn.predict({ ...churn, region: 1 });
  // @ts-expect-error a string where the model takes a number
  await c.models.heuristic.predict({ ...iris, petal_width: "0.2" });
  // @ts-expect-error null for a feature that is not nullable
  await c.models.churn.predict({ ...churn, autopay: null });
  const answer = await c.models.iris_sklearn.predict(iris);
  // @ts-expect-error "daisy" is not one of the model's classes
  if (answer.prediction === "daisy") return;
  // @ts-expect-error the ONNX model's classes are numbers
  const label: string = (await c.models.iris_onnx.predict({ x0: 1, x1: 2, x2: 3, x3: 4 })).prediction;
  // @ts-expect-error a model the server does not serve
  await c.models.iris_unknown.predict(iris);
  return label;
}
`;

describe("typed client", { timeout: 300_000 }, () => {
  let server: Deployment;
  let dir: string;

  before(async () => {
    dir = tempDir("client");
    // Generated files are ES modules, as in any current TypeScript project.
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(
      join(dir, "modelserve.json"),
      JSON.stringify({ models: MODELS.map((m) => ({ name: m.name, path: at(m.path) })) }),
    );
    server = await deploy([], {
      env: {},
      logger: silent,
      host: "127.0.0.1",
      port: 0,
      configFile: join(dir, "modelserve.json"),
    });
  });
  after(async () => {
    await server?.close();
  });

  it("generates the same client from the config file and from the live server's URL", async () => {
    const fromConfig = await generate(join(dir, "modelserve.json"), join(dir, "client.ts"));
    const fromUrl = await generate(server.url, join(dir, "client-url.ts"));
    const body = (s: string) => s.split("\n").slice(1).join("\n");
    assert.equal(body(fromUrl), body(fromConfig));
    assert.match(fromConfig, /export type ChurnClass = "stay" \| "leave";/);
    assert.match(fromConfig, /plan: "basic" \| "pro" \| "team";/);
    assert.match(fromConfig, /last_ticket_days: number \| null;/);
    // Categories the model accepts beyond its list stay open, with the known ones suggested.
    assert.match(fromConfig, /city: "brest" \| "lyon" \| "nice" \| "paris" \| \(string & \{\}\);/);
    assert.match(fromConfig, /export type IrisOnnxClass = 0 \| 1 \| 2;/);
    assert.match(fromConfig, /"credit-pipeline": CreditPipelineModel;/);
  });

  it("generates from a single model file", async () => {
    const out = await generate(at("examples/iris/models/xgboost.json"), join(dir, "client-file.ts"));
    assert.match(out, /export class XgboostModel/);
    assert.match(out, /sepal_length: number \| null;/);
  });

  it("compiles with tsc --strict, and a wrong feature name or category does not compile", async () => {
    writeFileSync(join(dir, "use.ts"), USE);
    writeFileSync(join(dir, "expect-errors.ts"), EXPECT_ERRORS);
    await tsc(dir, ["client.ts", "use.ts", "expect-errors.ts"]);
    // The same file without its directives: each marked line is an error on its own.
    writeFileSync(join(dir, "errors-bare.ts"), EXPECT_ERRORS.replace(/^\s*\/\/ @ts-expect-error.*\n/gm, ""));
    await assert.rejects(tsc(dir, ["client.ts", "errors-bare.ts"]), (err: Error) => {
      const count = (err.message.match(/errors-bare\.ts\(\d+,\d+\): error/g) ?? []).length;
      assert.equal(count, (EXPECT_ERRORS.match(/@ts-expect-error/g) ?? []).length, err.message);
      return true;
    });
  });

  it("calls the live server and gets each runtime's reference answers", async () => {
    writeFileSync(join(dir, "use.ts"), USE);
    const { callAll } = (await import(pathToFileURL(join(dir, "use.ts")).href)) as {
      callAll: (u: string) => Promise<Record<string, unknown>>;
    };
    const r = await callAll(server.url);
    const golden = json("examples/iris/golden/random_forest.expected.json");
    // Row 0 of the golden inputs (5.5, 3.5, 1.3, 0.2): scikit-learn said setosa.
    assert.deepEqual(json("examples/iris/golden/random_forest.inputs.json")[0], {
      sepal_length: 5.5,
      sepal_width: 3.5,
      petal_length: 1.3,
      petal_width: 0.2,
    });
    assert.equal(r.sk, golden.predict[0]);
    assert.equal(r.setosa, golden.predict_proba[0][0]);
    assert.equal(r.skBatch && (r.skBatch as unknown[])[0], golden.predict[0]);
    const xgbGolden = json("examples/iris/golden/xgboost.expected.json");
    assert.equal(json("examples/iris/golden/xgboost.inputs.json")[0].petal_length, 1.3);
    const xp = r.xgbProba as Record<string, number>;
    for (let k = 0; k < 3; k++)
      assert.ok(Math.abs(xp[String(k)] - xgbGolden.predict_proba[0][k]) < 1e-6, `class ${k}`);
    // LightGBM's own answer for that row with petal_width missing is not in the fixtures: the server's is.
    const lgb = await fetch(`${server.url}/models/iris_lightgbm/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sepal_length: 5.1, sepal_width: 3.4, petal_length: 1.5, petal_width: null }),
    });
    assert.equal(r.lgb, ((await lgb.json()) as { prediction: unknown }).prediction);
    const onnx = json("test/fixtures/onnx/skl2onnx/iris_random_forest_nozipmap/expected.json");
    assert.equal(r.onnx, onnx.predict[0]);
    assert.equal(r.heuristic, "setosa");
    assert.equal(r.churn, "leave");
    const pipe = json("test/fixtures/sklearn/1.9.1/prep-ct-ordinal-logreg/expected.json");
    assert.equal(r.pipe, pipe.predict[0]);
    assert.equal(r.pinned, "1");
    const invalid = r.invalid as { code: string; status: number; details: { issues: { field: string }[] } };
    assert.equal(invalid.code, "MS_INVALID_INPUT");
    assert.equal(invalid.status, 422);
    assert.equal(invalid.details.issues[0].field, "plan");
  });

  it("times out, retries 503s and sends the API key", async () => {
    const client = (await import(pathToFileURL(join(dir, "client.ts")).href)) as ClientModule;
    // Timeout: the slow model takes 300 ms; 50 ms and no retry gives CLIENT_TIMEOUT.
    const c = client.createClient({ baseUrl: server.url, timeoutMs: 50, retries: 0 });
    await assert.rejects(c.models.slow.predict({ x: 1 }), (e: { code: string }) => {
      assert.equal(e.code, "CLIENT_TIMEOUT");
      return true;
    });
    // Retries: the first attempt gets a 503, the second reaches the server.
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1)
        return new Response('{"error":{"code":"MS_OVERLOADED","message":"busy"}}', { status: 503 });
      return fetch(input, init);
    };
    const r = client.createClient({ baseUrl: server.url, retries: 1, retryDelayMs: 10, fetch: flaky });
    assert.equal((await r.models.slow.predict({ x: 2 })).prediction, 4);
    assert.equal(calls, 2);
    // Without retries the 503 surfaces with its code.
    calls = 0;
    const none = client.createClient({ baseUrl: server.url, retries: 0, fetch: flaky });
    await assert.rejects(none.models.slow.predict({ x: 2 }), { code: "MS_OVERLOADED", status: 503 });

    // API keys: refused without, answered with.
    const keyed = await deploy([at("examples/iris/heuristic.ts")], {
      env: {},
      logger: silent,
      host: "127.0.0.1",
      port: 0,
      apiKeys: "app:client-test-key-0123456789abcdef:predict+read",
    });
    try {
      const out = join(dir, "client-keyed.ts");
      await generate(keyed.url, out, ["--api-key", "client-test-key-0123456789abcdef"]);
      assert.doesNotMatch(readFileSync(out, "utf8"), /client-test-key/);
      const k = (await import(pathToFileURL(out).href)) as ClientModule;
      const row = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
      await assert.rejects(k.createClient({ baseUrl: keyed.url }).models.heuristic.predict(row), {
        code: "MS_UNAUTHORIZED",
        status: 401,
      });
      const ok = await k
        .createClient({ baseUrl: keyed.url, apiKey: "client-test-key-0123456789abcdef" })
        .models.heuristic.predict(row);
      assert.equal(ok.prediction, "setosa");
    } finally {
      await keyed.close();
    }
  });

  it("the served /openapi.json gives strict-compiling types through openapi-typescript", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, unknown>;
    const types = await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]);
    writeFileSync(join(dir, "openapi.ts"), types);
    assert.match(types, /"\/models\/churn\/predict"/);
    writeFileSync(
      join(dir, "use-openapi.ts"),
      `import type { paths } from "./openapi.ts";
type Body = paths["/models/churn/predict"]["post"]["requestBody"]["content"]["application/json"];
export const ok: Body = { tenure_months: 3, monthly_fee: 20, plan: "pro", region: "eu", autopay: false, last_ticket_days: null };
// @ts-expect-error a category outside the model's list
export const bad: Body = { tenure_months: 3, monthly_fee: 20, plan: "gold", region: "eu", autopay: false, last_ticket_days: null };
`,
    );
    await tsc(dir, ["openapi.ts", "use-openapi.ts"]);
  });
});
