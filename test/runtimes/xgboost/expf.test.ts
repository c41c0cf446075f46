/**
 * @module The glibc `expf` emulation against glibc's own results (scripts/fixtures/xgboost/glibc_expf.py):
 * a sweep of float32 values over the whole range the function computes (every table index and power
 * of two), random values, the overflow and underflow bounds and subnormal results, bit for bit.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { expf } from "../../../src/runtimes/xgboost/expf.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/libm/expf-glibc.json", import.meta.url), "utf8"),
) as { glibc: string; x: string[]; exp: string[] };

describe("glibc float32 exp", () => {
  it(`matches glibc ${fixture.glibc} bit for bit`, () => {
    assert.ok(fixture.x.length > 10_000, `${fixture.x.length} values`);
    const differs: string[] = [];
    fixture.x.forEach((v, i) => {
      const got = expf(Number(v));
      if (!Object.is(got, Number(fixture.exp[i])))
        differs.push(`expf(${v}) = ${got}, glibc ${fixture.exp[i]}`);
    });
    assert.deepEqual(differs.slice(0, 5), [], `${differs.length} of ${fixture.x.length} values differ`);
  });

  it("covers subnormal results, both bounds and the whole range of exponents", () => {
    const xs = fixture.x.map(Number).filter(Number.isFinite);
    const ys = fixture.exp.map(Number);
    assert.ok(
      ys.some((y) => y > 0 && y < 2 ** -126),
      "a subnormal result",
    );
    assert.ok(ys.includes(Number.POSITIVE_INFINITY) && ys.includes(0), "overflow and underflow");
    assert.ok(Math.min(...xs) < -103 && Math.max(...xs) > 88.7, "the range's ends");
  });
});
