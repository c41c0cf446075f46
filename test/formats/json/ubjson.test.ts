/**
 * @module Tests of the UBJSON decoder against byte sequences laid out by the Universal Binary JSON
 * specification (draft 12: big-endian numbers, length-prefixed strings and keys, optimized containers
 * with `$` type and `#` count), IEEE 754 bit patterns written out by hand, and XGBoost's own `.ubj`
 * model files; plus bounds and truncated input.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeUbjson, UbjsonError } from "../../../src/formats/json/ubjson.ts";

/** Bytes from ASCII markers and raw byte values, e.g. `u("[", "i", 1, "]")`. */
function u(...parts: (string | number | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];

/** Copies decoded objects (which have no prototype) into plain ones for deepStrictEqual. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function fails(bytes: Uint8Array, message: RegExp) {
  assert.throws(
    () => decodeUbjson(bytes),
    (e: unknown) => {
      assert.ok(e instanceof UbjsonError, `a UbjsonError, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("UBJSON scalar markers", () => {
  it("null, true, false", () => {
    assert.equal(decodeUbjson(u("Z")), null);
    assert.equal(decodeUbjson(u("T")), true);
    assert.equal(decodeUbjson(u("F")), false);
  });

  it("int8 (i) is signed, uint8 (U) unsigned", () => {
    assert.equal(decodeUbjson(u("i", 0x7f)), 127);
    assert.equal(decodeUbjson(u("i", 0x80)), -128);
    assert.equal(decodeUbjson(u("i", 0xff)), -1);
    assert.equal(decodeUbjson(u("U", 0xff)), 255);
    assert.equal(decodeUbjson(u("U", 0x00)), 0);
  });

  it("int16 (I), int32 (l) and int64 (L) are big-endian two's complement", () => {
    assert.equal(decodeUbjson(u("I", 0x01, 0x02)), 258);
    assert.equal(decodeUbjson(u("I", 0x80, 0x00)), -32768);
    assert.equal(decodeUbjson(u("l", 0x7f, 0xff, 0xff, 0xff)), 2147483647);
    assert.equal(decodeUbjson(u("l", 0xff, 0xff, 0xff, 0xfe)), -2);
    assert.equal(decodeUbjson(u("L", 0, 0, 0, 1, 0, 0, 0, 0)), 4294967296);
    assert.equal(
      decodeUbjson(u("L", 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
      Number.MAX_SAFE_INTEGER,
    );
    assert.equal(decodeUbjson(u("L", 0xff, 0xe0, 0, 0, 0, 0, 0, 1)), Number.MIN_SAFE_INTEGER);
    assert.equal(decodeUbjson(u("L", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), -1);
  });

  it("refuses int64 values a JavaScript number cannot hold exactly", () => {
    fails(u("L", 0x00, 0x20, 0, 0, 0, 0, 0, 0), /too large/); // 2^53
    fails(u("L", 0x80, 0, 0, 0, 0, 0, 0, 0), /too large/); // -2^63
  });

  it("float32 (d) and float64 (D) are big-endian IEEE 754", () => {
    assert.equal(decodeUbjson(u("d", 0x3f, 0xc0, 0x00, 0x00)), 1.5);
    assert.equal(decodeUbjson(u("d", 0xc1, 0x48, 0x00, 0x00)), -12.5);
    // 0.1 as float32 is 0x3dcccccd, which is not 0.1 as a double.
    assert.equal(decodeUbjson(u("d", 0x3d, 0xcc, 0xcc, 0xcd)), Math.fround(0.1));
    assert.equal(decodeUbjson(u("D", 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18)), Math.PI);
    assert.equal(decodeUbjson(u("D", 0xc0, 0x04, 0, 0, 0, 0, 0, 0)), -2.5);
    assert.ok(Number.isNaN(decodeUbjson(u("d", 0x7f, 0xc0, 0, 0))));
    assert.equal(decodeUbjson(u("D", 0x7f, 0xf0, 0, 0, 0, 0, 0, 0)), Number.POSITIVE_INFINITY);
    assert.ok(Object.is(decodeUbjson(u("D", 0x80, 0, 0, 0, 0, 0, 0, 0)), -0));
  });

  it("char (C), string (S) with any integer length marker, high-precision number (H)", () => {
    assert.equal(decodeUbjson(u("C", "a")), "a");
    const word = utf8("héllo ✓");
    assert.equal(decodeUbjson(u("S", "U", word.length, word)), "héllo ✓");
    assert.equal(decodeUbjson(u("S", "i", 3, "abc")), "abc");
    assert.equal(decodeUbjson(u("S", "I", 0, 3, "abc")), "abc");
    assert.equal(decodeUbjson(u("S", "l", 0, 0, 0, 3, "abc")), "abc");
    assert.equal(decodeUbjson(u("S", "L", 0, 0, 0, 0, 0, 0, 0, 3, "abc")), "abc");
    assert.equal(decodeUbjson(u("S", "U", 0)), "");
    assert.equal(decodeUbjson(u("H", "U", 4, "3.25")), 3.25);
  });

  it("skips no-op markers (N) before a value, even a long run of them", () => {
    assert.equal(decodeUbjson(u("N", "N", "T")), true);
    const many = new Uint8Array(200_000).fill(0x4e);
    const run = new Uint8Array(many.length + 2);
    run.set(many);
    run.set(u("i", 7), many.length);
    assert.equal(decodeUbjson(run), 7);
  });
});

describe("UBJSON containers", () => {
  it("arrays with an end marker, nested, with no-ops between elements", () => {
    assert.deepEqual(decodeUbjson(u("[", "]")), []);
    assert.deepEqual(decodeUbjson(u("[", "i", 1, "N", "S", "U", 1, "a", "[", "T", "]", "Z", "]")), [
      1,
      "a",
      [true],
      null,
    ]);
  });

  it("objects with length-prefixed keys (no S marker) and an end marker", () => {
    const obj = decodeUbjson(u("{", "U", 1, "a", "i", 5, "U", 2, "bc", "{", "U", 1, "d", "T", "}", "}"));
    assert.deepEqual(plain(obj), { a: 5, bc: { d: true } });
    assert.equal(Object.getPrototypeOf(obj), null, "no prototype: a key __proto__ cannot pollute");
    const proto = decodeUbjson(u("{", "U", 9, "__proto__", "{", "U", 1, "x", "T", "}", "}"));
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.deepEqual(Object.keys(proto as object), ["__proto__"]);
  });

  it("counted arrays and objects (#) without an end marker", () => {
    assert.deepEqual(decodeUbjson(u("[", "#", "U", 3, "i", 1, "U", 2, "T")), [1, 2, true]);
    assert.deepEqual(decodeUbjson(u("[", "#", "i", 0)), []);
    const o = decodeUbjson(u("{", "#", "U", 2, "U", 1, "x", "i", 1, "U", 1, "y", "Z"));
    assert.deepEqual(plain(o), { x: 1, y: null });
  });

  it("typed numeric arrays ($ and #) decode to typed arrays of the right kind", () => {
    const cases: [string, number[], unknown][] = [
      ["d", [0x3f, 0xc0, 0, 0, 0xc1, 0x48, 0, 0], Float32Array.of(1.5, -12.5)],
      [
        "D",
        [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, 0xc0, 0x04, 0, 0, 0, 0, 0, 0],
        Float64Array.of(Math.PI, -2.5),
      ],
      ["l", [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], Int32Array.of(2147483647, -2)],
      ["I", [0x80, 0x00, 0x01, 0x02], Int16Array.of(-32768, 258)],
      ["i", [0x80, 0x7f], Int8Array.of(-128, 127)],
      ["U", [0xff, 0x00], Uint8Array.of(255, 0)],
      [
        "L",
        [0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
        Float64Array.of(4294967296, -2),
      ],
    ];
    for (const [type, payload, want] of cases) {
      assert.deepEqual(decodeUbjson(u("[", "$", type, "#", "U", 2, payload)), want, `type ${type}`);
    }
  });

  it("typed arrays of strings and of payload-free values", () => {
    assert.deepEqual(decodeUbjson(u("[", "$", "S", "#", "U", 2, "U", 1, "a", "U", 2, "bc")), ["a", "bc"]);
    assert.deepEqual(decodeUbjson(u("[", "$", "T", "#", "U", 3)), [true, true, true]);
    assert.deepEqual(decodeUbjson(u("[", "$", "Z", "#", "U", 2)), [null, null]);
  });

  it("a typed array is a copy: decoding an unaligned slice gives the right values", () => {
    const bytes = u(0, "[", "$", "l", "#", "U", 1, 0, 0, 1, 0);
    const v = decodeUbjson(bytes.subarray(1)) as Int32Array;
    assert.deepEqual(v, Int32Array.of(256));
    bytes[bytes.length - 1] = 9;
    assert.equal(v[0], 256);
  });

  it("typed objects ($ and #): every value has the declared type", () => {
    const o = decodeUbjson(u("{", "$", "i", "#", "U", 2, "U", 1, "a", 1, "U", 1, "b", 0xff));
    assert.deepEqual(plain(o), { a: 1, b: -1 });
  });
});

describe("UBJSON bounds and malformed input", () => {
  it("refuses empty and truncated input with the byte offset", () => {
    fails(u(), /unexpected end of data at byte 0/);
    fails(u("I", 1), /unexpected end of data/);
    fails(u("D", 0x40, 0x09), /unexpected end of data/);
    fails(u("S", "U", 5, "abc"), /unexpected end of data/);
    fails(u("[", "i", 1), /unexpected end of data/);
    fails(u("{", "U", 1, "a", "i", 1), /unexpected end of data/);
    fails(u("[", "$", "d", "#", "U", 3, 0x3f, 0xc0, 0, 0), /unexpected end of data/);
    fails(u("[", "#", "l", 0x7f, 0xff, 0xff, 0xff, "i", 1), /unexpected end of data/);
  });

  it("refuses every truncation of a valid document", () => {
    const doc = u(
      "{",
      "U",
      1,
      "a",
      "[",
      "$",
      "d",
      "#",
      "U",
      2,
      0x3f,
      0xc0,
      0,
      0,
      0xc1,
      0x48,
      0,
      0,
      "U",
      1,
      "b",
      "S",
      "U",
      2,
      "hi",
      "}",
    );
    assert.deepEqual(plain(decodeUbjson(doc)), { a: Float32Array.of(1.5, -12.5), b: "hi" });
    // A cut right after `$d` reads as a typed array missing its count; every other cut as an early end.
    for (let cut = 0; cut < doc.length; cut++)
      fails(doc.subarray(0, cut), /unexpected end of data|typed array without a count/);
  });

  it("refuses unknown markers, negative lengths and non-integer length markers", () => {
    fails(u("x"), /unknown marker 0x78 at byte 0/);
    fails(u("S", "i", 0xff, "a"), /negative length/);
    fails(u("S", "d", 0, 0, 0, 0), /expected an integer marker/);
    fails(u("[", "$", "i", "i", 1), /typed array without a count/);
    fails(u("{", "$", "i", "U", 1, "a", 1, "}"), /typed object without a count/);
  });

  it("refuses nesting deeper than 256 levels instead of overflowing the stack", () => {
    fails(new Uint8Array(300).fill(0x5b), /nesting too deep/);
    const ok = new Uint8Array(200);
    ok.fill(0x5b, 0, 100);
    ok.fill(0x5d, 100);
    assert.ok(Array.isArray(decodeUbjson(ok)));
  });

  it("refuses a payload-free typed array that asks for billions of elements", () => {
    fails(u("[", "$", "Z", "#", "l", 0x7f, 0xff, 0xff, 0xff), /too large/);
    fails(u("[", "$", "T", "#", "L", 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), /too large/);
  });
});

describe("UBJSON written by XGBoost", () => {
  it("decodes a saved booster into the documented model layout", () => {
    const bytes = readFileSync(
      new URL("../../fixtures/xgboost/binary_logistic_ubj/model.ubj", import.meta.url),
    );
    const doc = decodeUbjson(new Uint8Array(bytes)) as Record<string, never>;
    const learner = doc.learner as Record<string, never>;
    assert.ok(Array.isArray(doc.version) || ArrayBuffer.isView(doc.version), "version");
    const model = (learner.gradient_booster as Record<string, never>).model as Record<string, never>;
    const trees = model.trees as Record<string, unknown>[];
    const params = model.gbtree_model_param as Record<string, string>;
    assert.equal(trees.length, Number(params.num_trees));
    for (const t of trees) {
      const n = Number((t.tree_param as Record<string, string>).num_nodes);
      for (const key of [
        "left_children",
        "right_children",
        "split_indices",
        "split_conditions",
        "base_weights",
      ]) {
        const col = t[key] as ArrayLike<number>;
        assert.ok(ArrayBuffer.isView(col), `${key} is a typed array`);
        assert.equal(col.length, n, `${key} has one entry per node`);
      }
      assert.ok(
        t.split_conditions instanceof Float32Array,
        "split conditions are float32 as XGBoost stores them",
      );
    }
    assert.equal((learner.objective as Record<string, string>).name, "binary:logistic");
  });
});
