import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { errorCatalogue, IssueCodes, ModelServeError } from "../src/errors.ts";

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
    assert.ok(new ModelServeError("MS_X", 400, "m") instanceof Error);
  });
});
