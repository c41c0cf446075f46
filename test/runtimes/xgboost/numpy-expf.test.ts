/** @module Tests of the numpy float32 exp emulation against numpy's own outputs (two numpy versions). */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fmaf, numpyExpf } from "../../../src/runtimes/xgboost/numpy-expf.ts";

const root = fileURLToPath(new URL("../../fixtures/numpy/", import.meta.url));
const files = readdirSync(root).filter((f) => f.startsWith("expf-"));

describe("numpy float32 exp", () => {
  it("has outputs from two numpy versions", () => assert.ok(files.length >= 2, files.join(",")));
  for (const f of files) {
    it(`matches numpy bit for bit (${f})`, () => {
      const { x, exp } = JSON.parse(readFileSync(join(root, f), "utf8")) as { x: string[]; exp: string[] };
      let differs = 0;
      x.forEach((v, i) => {
        if (!Object.is(numpyExpf(Number(v)), Number(exp[i]))) differs++;
      });
      assert.equal(differs, 0, `${differs} of ${x.length} values differ`);
    });
  }
  it("rounds a fused multiply-add once", () => {
    // (1 + 2^-23)·(1 − 2^-23) − 1 = −2^-46 exactly; rounding the product first would give 0.
    const a = Math.fround(1 + 2 ** -23);
    const b = Math.fround(1 - 2 ** -23);
    assert.equal(fmaf(a, b, -1), -(2 ** -46));
    assert.equal(fmaf(a, b, 0), 1);
  });
});
