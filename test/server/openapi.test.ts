/**
 * @module Tests of the generated OpenAPI document: it validates against the OpenAPI Initiative's 3.1
 * schema, every Schema Object in it is valid JSON Schema 2020-12, operation ids are unique, each model
 * and version gets its paths with its real fields, classes and examples (which its own schemas and
 * validator accept), and API-key and prefix options shape the document.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { errorCatalogue } from "../../src/errors.ts";
import { ModelRegistry } from "../../src/registry/model-registry.ts";
import { loadModel } from "../../src/runtimes/load-model.ts";
import { buildOpenApi } from "../../src/server/openapi.ts";

const fx = fileURLToPath(new URL("../fixtures/", import.meta.url));
// Ajv resolves the schema's `$dynamicRef: "#meta"` to the wrong place; with the default dialect that
// reference means `#/$defs/schema` (where the `meta` anchor sits), so it is read as a plain `$ref`.
const oas = JSON.parse(
  readFileSync(join(fx, "openapi", "oas-3.1-schema.json"), "utf8").replaceAll(
    '"$dynamicRef": "#meta"',
    '"$ref": "#/$defs/schema"',
  ),
);
const ajv = new Ajv2020({ strict: false, allowUnionTypes: true, allErrors: true, validateFormats: false });
const validDocument = ajv.compile(oas);
const sklearn = (dir: string) => join(fx, "sklearn", "1.9.1", dir, "model.joblib");

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation> & { parameters?: unknown[] }>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  security?: unknown;
  servers?: { url: string }[];
  tags: { name: string; description: string }[];
  info: { title: string; version: string; description: string };
};
type Operation = {
  operationId?: string;
  tags: string[];
  security?: unknown[];
  requestBody?: { content: { "application/json": { schema: object; example?: unknown } } };
  responses: Record<string, { content?: { "application/json": { schema: object } } }>;
};

const registry = new ModelRegistry();
const opts = { title: "modelserve", version: "9.9.9", maxBatchSize: 100 };
let doc: Doc;

before(async () => {
  registry.register("iris", "1", await loadModel(sklearn("boost-gb-iris-str")));
  registry.register("diabetes", "1", await loadModel(sklearn("boost-gbr-squared")));
  registry.register("diabetes", "2", await loadModel(sklearn("boost-gbr-squared")));
  registry.setDefaultModel("iris");
  doc = buildOpenApi(registry, opts) as Doc;
});
after(() => registry.close());

/** Every operation of the document with its path. */
const operations = (d: Doc) =>
  Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([k]) => k !== "parameters")
      .map(([method, op]) => ({ path, method, op: op as Operation })),
  );

describe("OpenAPI document structure", () => {
  it("validates against the OpenAPI 3.1 schema", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(validDocument(doc), JSON.stringify(validDocument.errors?.slice(0, 5)));
    for (const variant of [
      buildOpenApi(registry, { ...opts, apiKeys: true, prefix: "/ml" }),
      buildOpenApi(new ModelRegistry(), opts),
    ]) {
      assert.ok(validDocument(variant), JSON.stringify(validDocument.errors?.slice(0, 5)));
    }
  });

  it("the OpenAPI schema refuses a broken document (the check can fail)", () => {
    const broken = structuredClone(doc) as unknown as Record<string, unknown>;
    delete broken.info;
    assert.equal(validDocument(broken), false);
    const badResponse = structuredClone(doc);
    (badResponse.paths["/health"].get as unknown as Record<string, unknown>).responses = {
      "200": { content: {} },
    };
    assert.equal(validDocument(badResponse), false, "a response without a description");
  });

  it("has valid JSON Schema 2020-12 Schema Objects in every request and response", () => {
    const strict = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });
    strict.addSchema({ $id: "doc", components: doc.components }, "doc");
    let count = 0;
    for (const { op } of operations(doc)) {
      const bodies = [
        op.requestBody?.content["application/json"].schema,
        ...Object.values(op.responses).map((r) => r.content?.["application/json"].schema),
      ];
      for (const schema of bodies) {
        if (!schema) continue;
        if (JSON.stringify(schema).includes("$ref")) continue; // error bodies: the Error component below
        assert.doesNotThrow(() => strict.compile(schema));
        count++;
      }
    }
    assert.ok(count >= 20, `${count} schemas checked`);
    assert.doesNotThrow(() => strict.compile(doc.components.schemas.Error as object));
  });

  it("gives every operation a unique operationId", () => {
    const ids = operations(doc).flatMap(({ op }) => (op.operationId ? [op.operationId] : []));
    assert.equal(new Set(ids).size, ids.length, ids.join(" "));
  });

  it("keeps operationIds unique when a model is named like a route (default, default@1)", async () => {
    const r = new ModelRegistry();
    r.register("default", "1", await loadModel(sklearn("boost-gbr-squared")));
    r.register("default", "2", await loadModel(sklearn("boost-gbr-squared")));
    r.register("iris", "1", await loadModel(sklearn("boost-gb-iris-str")));
    r.setDefaultModel("default");
    const d = buildOpenApi(r, opts) as Doc;
    const ids = operations(d).flatMap(({ op }) => (op.operationId ? [op.operationId] : []));
    assert.equal(new Set(ids).size, ids.length, ids.join(" "));
    assert.ok(ids.includes("predict_default"), ids.join(" "));
    assert.equal(validDocument(d), true, JSON.stringify(validDocument.errors?.slice(0, 3)));
    r.close();
  });

  it("lists every error code in the Error schema", () => {
    const error = doc.components.schemas.Error as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    };
    assert.deepEqual(
      error.properties.error.properties.code.enum,
      errorCatalogue().map((e) => e.code),
    );
  });
});

describe("OpenAPI paths per model", () => {
  it("has the generic routes, each model and version, and the default model at the root", () => {
    const paths = Object.keys(doc.paths);
    for (const p of [
      "/health",
      "/health/live",
      "/health/ready",
      "/models",
      "/models/{name}",
      "/models/{name}/versions/{version}",
      "/predict",
      "/predict/batch",
      "/predict_proba",
      "/predict_proba/batch",
      "/models/iris/predict",
      "/models/iris/predict_proba/batch",
      "/models/iris/versions/1/predict",
      "/models/diabetes/predict/batch",
      "/models/diabetes/versions/1/predict",
      "/models/diabetes/versions/2/predict/batch",
    ])
      assert.ok(paths.includes(p), `${p} documented`);
    assert.ok(!paths.includes("/models/diabetes/predict_proba"), "a regressor has no predict_proba route");
    assert.deepEqual(
      doc.tags.map((t) => t.name),
      ["health", "models", "iris", "iris@1", "diabetes", "diabetes@1", "diabetes@2"].filter(
        (t) => !t.includes("@"),
      ),
    );
    assert.match(doc.info.description, /uses the default model \(iris\)/);
  });

  it("uses the model's real feature names, classes and examples, which its schemas and validator accept", () => {
    const v = registry.resolve("iris");
    const names = v.model.signature.inputs.map((f) => f.name);
    const op = doc.paths["/models/iris/predict"].post;
    const body = op.requestBody!.content["application/json"];
    assert.deepEqual(Object.keys(body.example as object), names);
    assert.ok(ajv.compile(body.schema)(body.example), "the example fits the request schema");
    assert.equal(v.validator.toTable([body.example], "").rows, 1, "the example passes the validator");
    const batch = doc.paths["/models/iris/predict/batch"].post.requestBody!.content["application/json"];
    assert.ok(ajv.compile(batch.schema)(batch.example), "the batch example fits");
    assert.equal(
      v.validator.toTable((batch.example as { instances: unknown[] }).instances, "instances").rows,
      2,
    );
    const ok = op.responses["200"].content!["application/json"].schema as {
      properties: { prediction: { enum: unknown[] }; probabilities: { required: string[] } };
    };
    assert.deepEqual(ok.properties.prediction.enum, ["setosa", "versicolor", "virginica"]);
    assert.deepEqual(ok.properties.probabilities.required, ["setosa", "versicolor", "virginica"]);
    const reg = doc.paths["/models/diabetes/predict/batch"].post;
    const regSchema = reg.requestBody!.content["application/json"].schema as {
      properties: { instances: { maxItems: number } };
    };
    assert.equal(regSchema.properties.instances.maxItems, 100, "the batch limit");
    assert.deepEqual(Object.keys(reg.responses).sort(), ["200", "400", "404", "413", "415", "422", "503"]);
  });

  it("leaves out names with no ready version", async () => {
    const r = new ModelRegistry();
    await r.load("broken", "1", async () => {
      throw new Error("no");
    });
    const d = buildOpenApi(r, opts) as Doc;
    assert.ok(!Object.keys(d.paths).some((p) => p.includes("broken")));
    await r.close();
  });
});

describe("OpenAPI options", () => {
  it("declares bearer and X-API-Key schemes when API keys are on, leaving the probes open", () => {
    const d = buildOpenApi(registry, { ...opts, apiKeys: true }) as Doc;
    assert.deepEqual(d.security, [{ bearer: [] }, { apiKey: [] }]);
    assert.deepEqual(Object.keys(d.components.securitySchemes ?? {}), ["bearer", "apiKey"]);
    for (const { path, op } of operations(d)) {
      // Probes stay open: the native ones and the Open Inference Protocol's (/v2/health/...).
      if (path.startsWith("/health") || path.startsWith("/v2/health"))
        assert.deepEqual(op.security, [], `${path} is open`);
      else assert.equal(op.security, undefined, `${path} uses the document's security`);
    }
    assert.equal(doc.security, undefined);
    assert.equal(doc.components.securitySchemes, undefined);
  });

  it("names the mount prefix as the server URL", () => {
    assert.deepEqual((buildOpenApi(registry, { ...opts, prefix: "/ml" }) as Doc).servers, [{ url: "/ml" }]);
    assert.equal(doc.servers, undefined);
    assert.deepEqual([doc.info.title, doc.info.version], ["modelserve", "9.9.9"]);
  });
});
