/** @module Shared checks of the explanation tests: fixture reading, tolerance and additivity. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Contributions } from "../../src/runtimes/runtime.ts";

/** The fixtures folder of the explanations. */
export const explainFixtures = fileURLToPath(new URL("../fixtures/explain/", import.meta.url));

/** Parsed JSON of a fixture file. */
export function readFixture<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(explainFixtures, ...parts), "utf8")) as T;
}

/** Value `(row, output, column)` of a contributions block. */
export function at(c: Contributions, r: number, k: number, j: number): number {
  return c.values[(r * c.outputs.length + k) * (c.features.length + 1) + j];
}

/**
 * Asserts the contributions equal the reference `expected[row][output][column]` within `rel`
 * relative tolerance (0: the same bits), and that every row adds up to `raw[row][output]`.
 */
export function assertContributions(
  c: Contributions,
  expected: number[][][],
  rel: number,
  what: string,
): void {
  assert.equal(c.rows, expected.length, `${what}: rows`);
  let worst = 0;
  for (let r = 0; r < c.rows; r++) {
    assert.equal(expected[r].length, c.outputs.length, `${what}: outputs of row ${r}`);
    for (let k = 0; k < c.outputs.length; k++) {
      assert.equal(expected[r][k].length, c.features.length + 1, `${what}: columns`);
      for (let j = 0; j <= c.features.length; j++) {
        const got = at(c, r, k, j);
        const want = expected[r][k][j];
        if (rel === 0) {
          assert.ok(
            Object.is(got, want) || (got === 0 && want === 0),
            `${what} row ${r} output ${k} column ${j}: ${got} != ${want}`,
          );
          continue;
        }
        // Relative to the row's largest contribution, so values that cancel to near zero are judged fairly.
        const scale = Math.max(...expected[r][k].map(Math.abs), 1e-300);
        const err = Math.abs(got - want) / scale;
        worst = Math.max(worst, err);
        assert.ok(err <= rel, `${what} row ${r} output ${k} column ${j}: ${got} vs ${want} (rel ${err})`);
      }
    }
  }
  void worst;
}

/** Asserts `bias + Σ contributions == raw[r][k]` within `tol` relative to the row's magnitude. */
export function assertAdditive(
  c: Contributions,
  raw: (r: number, k: number) => number,
  tol: number,
  what: string,
): void {
  const F = c.features.length;
  for (let r = 0; r < c.rows; r++) {
    for (let k = 0; k < c.outputs.length; k++) {
      let sum = 0;
      let mag = 0;
      for (let j = 0; j <= F; j++) {
        sum += at(c, r, k, j);
        mag += Math.abs(at(c, r, k, j));
      }
      const want = raw(r, k);
      assert.ok(
        Math.abs(sum - want) <= tol * Math.max(mag, Math.abs(want), 1),
        `${what} row ${r} output ${k}: bias + Σ contributions = ${sum}, model output ${want}`,
      );
    }
  }
}
