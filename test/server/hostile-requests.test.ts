/** @module Requests built to hurt: oversized batches refused before parsing, huge keys never echoed in full. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchRowsOver } from "../../src/server/batch-guard.ts";
import { cutEchoes, cutString } from "../../src/util/cut-echoes.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

describe("oversized batches", () => {
  it("counts the rows of the top-level instances array on the raw text", () => {
    const text = (v: unknown, space = 0) => JSON.stringify(v, null, space);
    const rows = (n: number, row: unknown) => Array.from({ length: n }, () => row);
    assert.equal(batchRowsOver(text({ instances: rows(30, [1]) }), 10), 30);
    assert.equal(batchRowsOver(text({ instances: rows(30, [1]) }, 2), 10), 30);
    assert.equal(batchRowsOver(text({ instances: rows(10, [1, 2, 3, 4]) }), 10), undefined);
    assert.equal(batchRowsOver(text({ instances: rows(11, { a: 'x,]}[{\\"' }) }), 10), 11);
    // A decoy array elsewhere, nested instances, and keys spelled with escapes.
    assert.equal(
      batchRowsOver(
        text({ other: rows(50, 1), nested: { instances: rows(50, 1) }, instances: rows(3, [[1], [2]]) }),
        10,
      ),
      undefined,
    );
    assert.equal(batchRowsOver(`{"instanc\\u0065s":[${rows(20, "1").join(",")}]}`, 10), 20);
    assert.equal(batchRowsOver(text({ instances: [] }), 0), undefined);
  });

  it("refuses 10^6 rows with 413 before parsing the body", async () => {
    const { fastify } = makeApp({ bodyLimit: 64 * 1024 * 1024 });
    const rows = Array.from({ length: 1_000_000 }, () => "[5.1,3.5,1.4,0.2]").join(",");
    // The tail is not JSON: parsing first would answer 400 MS_MALFORMED_JSON; the early count answers 413.
    const r = await fastify.inject({
      method: "POST",
      url: "/predict/batch",
      headers: { "content-type": "application/json" },
      payload: `{"instances":[${rows}], "tail": }`,
    });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, "MS_BATCH_TOO_LARGE");
    assert.deepEqual(r.json().error.details, { rows: 1_000_000, maxBatchSize: 10_000 });
    // A batch within the limit is parsed and answered as usual.
    const ok = await fastify.inject({
      method: "POST",
      url: "/predict/batch",
      payload: { instances: Array.from({ length: 10_000 }, () => IRIS_ROW) },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().predictions.length, 10_000);
  });
});

describe("echoes in error answers", () => {
  it("cuts strings and keys, keeping short ones whole", () => {
    assert.equal(cutString("short"), "short");
    assert.equal(cutString("x".repeat(500)), `${"x".repeat(200)}…(500 characters)`);
    assert.deepEqual(cutEchoes({ ["k".repeat(300)]: ["v".repeat(300), 1, null] }), {
      [`${"k".repeat(200)}…(300 characters)`]: [`${"v".repeat(200)}…(300 characters)`, 1, null],
    });
  });

  it("answers a 10 MB unknown key with a short error", async () => {
    const { fastify } = makeApp({ bodyLimit: 64 * 1024 * 1024 });
    const key = "k".repeat(10 * 1024 * 1024);
    for (const [url, payload] of [
      ["/predict", { ...IRIS_ROW, [key]: 1 }],
      [
        "/predict/batch",
        {
          instances: [
            { ...IRIS_ROW, [key]: 1 },
            { ...IRIS_ROW, sepal_length: key },
          ],
        },
      ],
      ["/predict/batch", { instances: [IRIS_ROW], [key]: 1 }],
    ] as const) {
      const r = await fastify.inject({ method: "POST", url, payload });
      assert.ok(r.statusCode === 422 || r.statusCode === 400, `${r.statusCode}`);
      assert.ok(r.body.length < 16 * 1024, `answer of ${r.body.length} bytes`);
      assert.ok(!r.body.includes("k".repeat(501)), "the key is cut");
      assert.match(r.body, /…\(\d+ characters\)/);
    }
    const notFound = await fastify.inject({ method: "GET", url: `/${"p".repeat(8000)}` });
    assert.equal(notFound.statusCode, 404);
    assert.ok(notFound.body.length < 2000);
  });
});
