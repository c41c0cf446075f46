/**
 * @module A corpus of hostile request bodies and headers (deep nesting, huge keys and values, invalid
 * UTF-8, odd content types, prototype keys, 10⁶ rows…): each gets its documented error code and
 * status, a short JSON answer with no stack trace, and the server keeps answering.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorCatalogue } from "../../src/errors.ts";
import { IRIS_ROW, makeApp } from "../helpers.ts";

interface Case {
  readonly name: string;
  readonly url?: string;
  readonly contentType?: string | null;
  readonly body: string | Buffer;
  readonly status: number;
  readonly code: string;
}

const deep = (n: number, open: string, close: string, inner = "1") =>
  `${open.repeat(n)}${inner}${close.repeat(n)}`;
const rows = (n: number, row: string) => Array.from({ length: n }, () => row).join(",");

const CORPUS: readonly Case[] = [
  {
    name: "100 000 nested arrays as features",
    body: `{"features":${deep(100_000, "[", "]")}}`,
    status: 400,
    code: "MS_NESTING_TOO_DEEP",
  },
  {
    name: "100 000 nested objects as a value",
    body: `{"sepal_length":${deep(100_000, '{"a":', "}")}}`,
    status: 400,
    code: "MS_NESTING_TOO_DEEP",
  },
  {
    name: "5 000 000 nested arrays (10 MB)",
    body: deep(5_000_000, "[", "]"),
    status: 400,
    code: "MS_NESTING_TOO_DEEP",
  },
  {
    name: "alternating arrays and objects, 101 deep",
    body: `{"features":${deep(50, '[{"a":', "}]", "[1]")}}`,
    status: 400,
    code: "MS_NESTING_TOO_DEEP",
  },
  {
    name: "deep nesting in a batch",
    url: "/predict/batch",
    body: `{"instances":[${deep(50_000, "[", "]")}]}`,
    status: 400,
    code: "MS_NESTING_TOO_DEEP",
  },
  {
    name: "brackets inside strings do not count as nesting",
    body: JSON.stringify({ ...IRIS_ROW, sepal_length: "[".repeat(1000) }),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "nesting within the bound reaches the validator",
    body: `{"features":${deep(90, "[", "]")}}`,
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "a 1 MB key",
    body: JSON.stringify({ ...IRIS_ROW, ["k".repeat(1 << 20)]: 1 }),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "a 1 MB string value",
    body: JSON.stringify({ ...IRIS_ROW, sepal_length: "v".repeat(1 << 20) }),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "100 000 unknown keys",
    body: JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "invalid UTF-8 in a key",
    body: Buffer.concat([
      Buffer.from('{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2,"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('":1}'),
    ]),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "invalid UTF-8 as a value",
    body: Buffer.concat([
      Buffer.from('{"sepal_length":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('","sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}'),
    ]),
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "a byte-order mark",
    body: `\uFEFF${JSON.stringify(IRIS_ROW)}`,
    status: 400,
    code: "MS_MALFORMED_JSON",
  },
  {
    name: "NaN literal",
    body: '{"sepal_length":NaN,"sepal_width":1,"petal_length":1,"petal_width":1}',
    status: 400,
    code: "MS_MALFORMED_JSON",
  },
  {
    name: "a number too large for a double",
    body: `{"sepal_length":1e400,"sepal_width":1,"petal_length":1,"petal_width":1}`,
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "100 000 digits",
    body: `{"sepal_length":${"9".repeat(100_000)},"sepal_width":1,"petal_length":1,"petal_width":1}`,
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "a __proto__ key",
    body: '{"__proto__":{"sepal_length":1},"sepal_width":1,"petal_length":1,"petal_width":1}',
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "a constructor key",
    body: `{"constructor":{"prototype":{}},${JSON.stringify(IRIS_ROW).slice(1)}`,
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "NUL bytes in a key",
    body: `{"sepal\\u0000length":1,"sepal_width":1,"petal_length":1,"petal_width":1}`,
    status: 422,
    code: "MS_INVALID_INPUT",
  },
  {
    name: "truncated JSON",
    body: JSON.stringify(IRIS_ROW).slice(0, 20),
    status: 400,
    code: "MS_MALFORMED_JSON",
  },
  { name: "JSON null", body: "null", status: 400, code: "MS_BODY_NOT_OBJECT" },
  { name: "a JSON string", body: '"hello"', status: 400, code: "MS_BODY_NOT_OBJECT" },
  { name: "a top-level array", body: "[5.1,3.5,1.4,0.2]", status: 400, code: "MS_BODY_NOT_OBJECT" },
  {
    name: "text/plain",
    contentType: "text/plain",
    body: JSON.stringify(IRIS_ROW),
    status: 415,
    code: "MS_UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "a form",
    contentType: "application/x-www-form-urlencoded",
    body: "sepal_length=1",
    status: 415,
    code: "MS_UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "multipart",
    contentType: "multipart/form-data; boundary=x",
    body: "--x\r\n\r\n--x--",
    status: 415,
    code: "MS_UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "no content type",
    contentType: null,
    body: JSON.stringify(IRIS_ROW),
    status: 415,
    code: "MS_UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "a 10 000-character content type",
    contentType: `application/${"x".repeat(10_000)}`,
    body: "{}",
    status: 415,
    code: "MS_UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "10⁶ rows",
    url: "/predict/batch",
    body: `{"instances":[${rows(1_000_000, "[1]")}]}`,
    status: 413,
    code: "MS_BATCH_TOO_LARGE",
  },
  {
    name: "10⁶ empty objects",
    url: "/predict/batch",
    body: `{"instances":[${rows(1_000_000, "{}")}]}`,
    status: 413,
    code: "MS_BATCH_TOO_LARGE",
  },
  {
    name: "instances not an array",
    url: "/predict/batch",
    body: '{"instances":{"0":[1,2,3,4]}}',
    status: 400,
    code: "MS_INVALID_BATCH",
  },
  {
    name: "a body over the limit",
    body: `{"pad":"${"p".repeat(11 * 1024 * 1024)}"}`,
    status: 413,
    code: "MS_BODY_TOO_LARGE",
  },
];

describe("request fuzz corpus", () => {
  const { fastify } = makeApp();
  const codes = new Set(errorCatalogue().map((e) => e.code));

  for (const c of CORPUS) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const headers: Record<string, string> = {};
      if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
      const r = await fastify.inject({ method: "POST", url: c.url ?? "/predict", headers, payload: c.body });
      assert.equal(r.statusCode, c.status, r.body.slice(0, 300));
      const body = r.json() as { error: { code: string; message: string }; requestId: string };
      assert.equal(body.error.code, c.code);
      assert.ok(codes.has(body.error.code), "a documented code");
      assert.ok(body.requestId, "the answer names its request");
      assert.ok(r.body.length < 16 * 1024, `answer of ${r.body.length} bytes`);
      assert.ok(!/\n\s+at /.test(body.error.message) && !r.body.includes("node:internal"), "no stack trace");
      // The server is unharmed: the next valid request is answered.
      const ok = await fastify.inject({ method: "POST", url: "/predict", payload: IRIS_ROW });
      assert.equal(ok.statusCode, 200);
    });
  }
});
