/**
 * @module The raw-text body check against the parsed body itself: on random bodies (rows of numbers,
 * nested objects, strings full of brackets, quotes, commas and escapes), `checkBody` reports a depth
 * problem exactly when the body nests deeper than allowed, and the number of `instances` rows exactly
 * when there are more than allowed.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBody } from "../../src/server/batch-guard.ts";
import { seeded } from "../helpers.ts";

const TRICKY = ['a,]}[{"', "\\", '\\"]', "[[[", "}}", "plain", "", "é,ü", '\\\\"['];

/** Deepest nesting of arrays and objects (a top-level object is 1). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe("the body check on raw text", () => {
  it("agrees with the parsed body on depth and rows over 3000 random bodies", () => {
    const rnd = seeded(77);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const value = (d: number): unknown => {
      const u = rnd();
      if (d <= 0 || u < 0.35) return pick([1.5, -2, 0, 1e-7, true, null, ...TRICKY]);
      if (u < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(d - 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 3) }, () => [pick(TRICKY), value(d - 1)]),
      );
    };
    const row = (): unknown =>
      rnd() < 0.6
        ? Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => rnd() * 10 - 5)
        : rnd() < 0.5
          ? value(1 + Math.floor(rnd() * 6))
          : pick([1, "x,]", null]);
    let problems = 0;
    for (let k = 0; k < 3000; k++) {
      const instances = Array.from({ length: Math.floor(rnd() * 40) }, row);
      const body: Record<string, unknown> = rnd() < 0.3 ? { extra: value(3), instances } : { instances };
      if (rnd() < 0.2) body[pick(TRICKY)] = value(4);
      const text = JSON.stringify(body, null, rnd() < 0.2 ? 1 : undefined);
      const depth = depthOf(body);
      // One bound at a time may be crossed, so that the expected answer does not depend on which the
      // scan meets first.
      const deepCase = rnd() < 0.5 && depth > 1;
      const maxDepth = deepCase ? 1 + Math.floor(rnd() * (depth - 1)) : depth + Math.floor(rnd() * 3);
      const maxRows = deepCase
        ? instances.length + 5
        : Math.max(0, instances.length - 2 + Math.floor(rnd() * 5));
      const got = checkBody(text, maxDepth, maxRows);
      if (deepCase) {
        assert.equal(got?.kind, "depth", `case ${k}: ${text.slice(0, 200)}`);
        assert.equal(got.depth, maxDepth + 1);
      } else if (instances.length > maxRows)
        assert.deepEqual(got, { kind: "rows", rows: instances.length }, `case ${k}`);
      else assert.equal(got, undefined, `case ${k}: ${text.slice(0, 200)}`);
      if (got) problems++;
    }
    // Both kinds of answer were exercised.
    assert.ok(problems > 1000 && problems < 2800, `${problems} problems`);
  });
});
