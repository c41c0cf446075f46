/**
 * numberText writes what JSON.stringify writes for every number, whether found in its cache or not, and
 * leaves no garbage in the old generation (the reason it exists: `${x}` does, through V8's
 * number-to-string cache).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getHeapSpaceStatistics } from "node:v8";
import { numberText } from "../../src/util/number-text.ts";

/** A small deterministic generator (tests must not depend on Math.random's sequence). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** A double from two random 32-bit words (every exponent, subnormals, NaN payloads, infinities). */
function anyDouble(r: () => number): number {
  words[0] = Math.floor(r() * 2 ** 32);
  words[1] = Math.floor(r() * 2 ** 32);
  return bits[0];
}

const SPECIAL = [
  0,
  -0,
  1,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  Number.EPSILON,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 53 * 3,
  1e21,
  1e-7,
  1e-6,
  123456789012345680000,
  0.1 + 0.2,
  1 / 3,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  2 ** 32,
  1796638512536,
  Math.fround(0.1),
];

// Short decimals that share slots of V8's own cache (their two halves XOR to the same low bits).
const COLLIDING = [0.25, 0.75, 0.3, 0.7, 0.6, 0.35, 0.03, 0.96, 0.06, 0.04, 0.01, 0.02, 0.89, 0.1, 0.4];

describe("numberText", () => {
  it("writes JSON.stringify's text for special values, first time and found again", () => {
    for (let round = 0; round < 3; round++)
      for (const x of SPECIAL)
        assert.equal(numberText(x), JSON.stringify(x), `${round}: ${Object.is(x, -0) ? "-0" : x}`);
  });

  it("writes JSON.stringify's text for 200 000 doubles of every kind, in any order of hits and misses", () => {
    const r = lcg(7);
    const pool = Array.from({ length: 3000 }, (_, i) =>
      i % 3 === 0 ? anyDouble(r) : i % 3 === 1 ? Math.round(r() * 1000) / 1000 : Math.fround(r() * 100 - 50),
    );
    for (let i = 0; i < 200_000; i++) {
      // Mostly the pool (hits and slot reuse), sometimes a fresh double.
      const x = i % 5 === 0 ? anyDouble(r) : pool[Math.floor(r() * pool.length)];
      const got = numberText(x);
      if (got !== JSON.stringify(x)) assert.equal(got, JSON.stringify(x), `bits of ${x}`);
    }
  });

  it("gives each of values alternating in one slot its own text", () => {
    for (let i = 0; i < 10_000; i++) {
      const x = COLLIDING[i % COLLIDING.length] * (i % 2 === 0 ? 1 : -1);
      assert.equal(numberText(x), JSON.stringify(x));
    }
  });

  it("leaves nothing in the old generation while formatting a forest's batch answers", () => {
    // The iris forest's probabilities as a 1000-row batch answer has them: 3000 values among 32, several
    // of them sharing slots of V8's cache. Through `${x}` this grew the old generation by ~2.8 kB an
    // answer (~5.5 MB here); through numberText by nothing a young collection does not free.
    const values = [
      0, 0.03, 0.97, 1, 0.96, 0.04, 0.1, 0.9, 0.99, 0.01, 0.73, 0.27, 0.98, 0.02, 0.06, 0.94, 0.14,
    ];
    const more = [0.86, 0.87, 0.13, 0.89, 0.11, 0.25, 0.75, 0.18, 0.82, 0.3, 0.7, 0.6, 0.4, 0.65, 0.35];
    const distinct = [...values, ...more];
    const r = lcg(11);
    const answer = Float64Array.from({ length: 3000 }, () => distinct[Math.floor(r() * distinct.length)]);
    const old = () => getHeapSpaceStatistics().find((s) => s.space_name === "old_space")!.space_used_size;
    let length = 0;
    const format = () => {
      let s = "";
      for (let i = 0; i < answer.length; i++) s += `${numberText(answer[i])},`;
      length += s.length;
    };
    for (let i = 0; i < 100; i++) format();
    const before = old();
    for (let i = 0; i < 2000; i++) format();
    const grown = old() - before;
    assert.ok(length > 0);
    assert.ok(grown < 1_000_000, `old generation grew by ${grown} bytes`);
  });
});
