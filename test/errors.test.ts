import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  Errors,
  errorCatalogue,
  type FieldIssue,
  IssueCodes,
  isModelServeError,
  ModelServeError,
} from "../src/errors.ts";

const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

describe("error catalogue", () => {
  it("documents every code with its status in docs/errors.md", () => {
    for (const { code, statusCode } of errorCatalogue()) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
      assert.ok(row, `${code} has a row in docs/errors.md`);
      assert.equal(row.split("|")[2].trim(), String(statusCode), `${code} status in docs`);
    }
  });

  it("documents every field issue code", () => {
    for (const code of IssueCodes) assert.ok(doc.includes(`| \`${code}\` |`), `${code} documented`);
  });

  it("has unique codes and only 4xx/5xx statuses", () => {
    const codes = errorCatalogue().map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
    for (const { code, statusCode } of errorCatalogue()) {
      assert.match(code, /^MS_[A-Z_]+$/);
      assert.ok(statusCode >= 400 && statusCode < 600, code);
    }
  });

  it("lists no code in the docs that the catalogue lacks", () => {
    const documented = [...doc.matchAll(/^\| `(MS_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    const known = new Set(errorCatalogue().map((e) => e.code));
    for (const c of documented) assert.ok(known.has(c), `${c} is documented but not defined`);
  });

  it("has one factory per catalogue entry, with the same code and status", () => {
    const factories = Object.values(Errors).map((f) => ({ code: f.code, statusCode: f.statusCode }));
    assert.deepEqual(factories, [...errorCatalogue()]);
  });
});

/** Asserts every observable part of an error a factory built. */
function check(
  e: unknown,
  want: { code: string; statusCode: number; message: string; details?: unknown },
): void {
  assert.ok(e instanceof ModelServeError, `a ModelServeError, got ${String(e)}`);
  assert.equal(Object.getPrototypeOf(e), ModelServeError.prototype);
  assert.equal(e.name, "ModelServeError");
  assert.equal(e.code, want.code);
  assert.equal(e.statusCode, want.statusCode);
  assert.equal(e.message, want.message);
  assert.deepEqual(e.details, want.details);
  assert.equal("cause" in e, false, "no cause unless one is given");
  assert.match(String(e.stack), /^ModelServeError: /);
}

describe("error factories", () => {
  it("carry the documented details fields (docs/errors.md)", () => {
    check(Errors.bodyTooLarge(1024), {
      code: "MS_BODY_TOO_LARGE",
      statusCode: 413,
      message: "request body is larger than the limit of 1024 bytes",
      details: { limitBytes: 1024 },
    });
    check(Errors.batchTooLarge(10001, 10000), {
      code: "MS_BATCH_TOO_LARGE",
      statusCode: 413,
      message: "batch of 10001 rows is larger than the limit of 10000 rows",
      details: { rows: 10001, maxBatchSize: 10000 },
    });
    check(Errors.forbidden("ci", "admin"), {
      code: "MS_FORBIDDEN",
      statusCode: 403,
      message: 'API key "ci" lacks the "admin" scope this route needs',
      details: { keyId: "ci", requiredScope: "admin" },
    });
    check(Errors.rateLimited(60, 12), {
      code: "MS_RATE_LIMITED",
      statusCode: 429,
      message: "rate limit of 60 requests per window exceeded; retry in 12 s",
      details: { limit: 60, retryAfterSeconds: 12 },
    });
    check(Errors.inferenceTimeout("iris", "2", 250), {
      code: "MS_INFERENCE_TIMEOUT",
      statusCode: 503,
      message: 'model "iris" version "2" did not answer within 250 ms',
      details: { name: "iris", version: "2", timeoutMs: 250 },
    });
    check(Errors.modelNotReady("iris", "2", "loading"), {
      code: "MS_MODEL_NOT_READY",
      statusCode: 503,
      message: 'model "iris" version "2" is loading, not ready',
      details: { name: "iris", version: "2", state: "loading" },
    });
    check(Errors.emptyBatch(), {
      code: "MS_EMPTY_BATCH",
      statusCode: 400,
      message: '"instances" must hold at least one row',
      details: undefined,
    });
  });

  it("reports one field issue by its own message, several by their count and the first", () => {
    const a: FieldIssue = { code: "MISSING_FEATURE", field: "rows[0].x", message: 'missing feature "x"' };
    const b: FieldIssue = { code: "WRONG_TYPE", field: "rows[1].y", message: "rows[1].y must be a number" };
    check(Errors.invalidInput([a]), {
      code: "MS_INVALID_INPUT",
      statusCode: 422,
      message: 'missing feature "x"',
      details: { issues: [a] },
    });
    check(Errors.invalidInput([a, b]), {
      code: "MS_INVALID_INPUT",
      statusCode: 422,
      message: '2 problems in the input; first: missing feature "x"',
      details: { issues: [a, b] },
    });
  });

  it("lists at most 20 available names in a message but all of them in details", () => {
    const names = Array.from({ length: 25 }, (_, i) => `m${i}`);
    check(Errors.modelNotFound("nope", names), {
      code: "MS_MODEL_NOT_FOUND",
      statusCode: 404,
      message: `model "nope" not found; available models: ${names.slice(0, 20).join(", ")}, … (5 more)`,
      details: { available: names },
    });
    check(Errors.versionNotFound("iris", "9", []), {
      code: "MS_VERSION_NOT_FOUND",
      statusCode: 404,
      message: 'model "iris" has no version "9"; available versions: (none)',
      details: { available: [] },
    });
  });

  it("keeps at most 50 golden-sample differences in details", () => {
    const diffs = Array.from({ length: 60 }, (_, i) => ({
      sample: i,
      output: "predict",
      expected: 1,
      actual: 2,
    }));
    check(Errors.goldenMismatch("b.tar", 120, diffs), {
      code: "MS_GOLDEN_MISMATCH",
      statusCode: 422,
      message:
        "bundle b.tar fails its golden samples: 60 of 120 outputs differ; first: sample 0 predict expected 1, got 2",
      details: { diffs: diffs.slice(0, 50) },
    });
  });

  it("keeps a cause for server logs only when one is given", () => {
    const cause = new RangeError("inner");
    const e = new ModelServeError("MS_INTERNAL", 500, "internal error", undefined, cause);
    assert.equal(e.cause, cause);
    assert.equal(e.details, undefined);
  });

  it("tells ModelServeErrors apart from look-alikes", () => {
    assert.equal(isModelServeError(Errors.internal("r1")), true);
    const lookAlike = Object.assign(new Error("x"), { code: "MS_INTERNAL", statusCode: 500 });
    assert.equal(isModelServeError(lookAlike), false);
    assert.equal(isModelServeError({ code: "MS_INTERNAL", statusCode: 500, message: "x" }), false);
    assert.equal(isModelServeError(undefined), false);
  });
});
