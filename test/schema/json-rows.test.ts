/**
 * Rows read straight from a body's bytes against `JSON.parse`, the general path they stand in for: every
 * value the reader gives is the double `JSON.parse` gives for the same text (Object.is: -0 included), and
 * every body it takes is one `JSON.parse` takes with the same shape. Thousands of damaged bodies check
 * the second half: the reader declines each or reads exactly what `JSON.parse` reads.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { type DecodedRows, decodeInstances, decodeRow } from "../../src/schema/json-rows.ts";
import { compileValidator } from "../../src/schema/validator.ts";
import { damaged, NUMERIC_SIGNATURE, seeded } from "../helpers.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");

/**
 * What the general path reads from `text`: the rows of `{"instances": …}` or the one row (`features`, or
 * the body itself when named), each as its values in `names` order when the rows are named.
 */
function parsedRows(text: string, batch: boolean, names?: readonly string[]): unknown[][] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, "latin1").toString("utf8"));
  } catch {
    return undefined;
  }
  const o = body as Record<string, unknown>;
  const rows = (batch ? o.instances : [names ? o : o.features]) as unknown[];
  if (!names) return rows as unknown[][];
  return rows.map((r) => {
    const row = r as Record<string, unknown>;
    assert.deepEqual(Object.keys(row), names);
    return names.map((n) => row[n]);
  });
}

/** Asserts the decoded rows are, value for value and bit for bit, what JSON.parse reads. */
function assertSame(d: DecodedRows, text: string, batch: boolean): void {
  const rows = parsedRows(text, batch, d.names);
  assert.ok(rows, `the reader took a body JSON.parse refuses: ${text.slice(0, 120)}`);
  const body = JSON.parse(Buffer.from(text, "latin1").toString("utf8")) as Record<string, unknown>;
  if (batch || !d.names) assert.deepEqual(Object.keys(body), [batch ? "instances" : "features"]);
  assert.equal(d.rows, rows.length);
  assert.equal(d.values.length, d.rows * d.width);
  for (let r = 0; r < rows.length; r++) {
    assert.equal(rows[r].length, d.width);
    for (let c = 0; c < d.width; c++) {
      const want: unknown = rows[r][c];
      const got = d.values[r * d.width + c];
      if (!Object.is(want, got)) assert.fail(`row ${r} column ${c}: ${got} where JSON.parse reads ${want}`);
    }
  }
}

/** A number's text in one of the forms clients and Python's `json` write. */
function numberText(rand: () => number): string {
  const magnitude = 10 ** Math.floor(rand() * 40 - 20);
  const x = (rand() - 0.5) * magnitude;
  switch (Math.floor(rand() * 10)) {
    case 0:
      return String(x);
    case 1:
      return x.toFixed(Math.floor(rand() * 8));
    case 2:
      return x.toExponential(Math.floor(rand() * 20));
    case 3:
      return x.toPrecision(1 + Math.floor(rand() * 21)).replace("e+", rand() < 0.5 ? "E" : "e+");
    case 4:
      return String(Math.round(x * 1000));
    case 5:
      // Python's repr of a float that is an integer, and its small values.
      return rand() < 0.5
        ? `${Math.round(x)}.0`
        : `${(rand() * 9 + 1).toFixed(3)}e-0${Math.floor(rand() * 9) + 1}`;
    case 6:
      // More digits than a double holds, and decimals near a rounding boundary.
      return `${Math.floor(rand() * 1e9)}${Math.floor(rand() * 1e9)}.${Math.floor(rand() * 1e9)}5`;
    case 7:
      return ["0", "-0", "-0.0", "0e5", "-0E-3", "0.000", "1e-320", "4.9e-324", "2.2250738585072011e-308"][
        Math.floor(rand() * 9)
      ];
    case 8:
      return ["9007199254740993", "1.7976931348623157e308", "0.1", "123456789012345.6", "1e22", "1e23"][
        Math.floor(rand() * 6)
      ];
    default:
      return x.toFixed(Math.floor(rand() * 20));
  }
}

const SPACE = ["", "", "", " ", "  ", "\n", "\t", "\r\n "];
const space = (rand: () => number) => SPACE[Math.floor(rand() * SPACE.length)];

const KEYS = ["a", "sepal_length", "x_1", "B", "petal width (cm)", "z9", "k", "_", "colour", "n", "m", "q"];

/** One row's text: positional, or named with the first `width` keys. */
function rowText(rand: () => number, width: number, named: boolean): string {
  const sep = () => `${space(rand)},${space(rand)}`;
  const values = Array.from({ length: width }, () => numberText(rand));
  if (!named) return `[${space(rand)}${values.join(sep())}${space(rand)}]`;
  const pairs = values.map((v, i) => `"${KEYS[i]}"${space(rand)}:${space(rand)}${v}`);
  return `{${space(rand)}${pairs.join(sep())}${space(rand)}}`;
}

/** A random body of positional or named rows, spaced as a client might space it. */
function instancesBody(rand: () => number, rows: number, width: number, named = false): string {
  const all = Array.from({ length: rows }, () => rowText(rand, width, named));
  return `${space(rand)}{${space(rand)}"instances"${space(rand)}:${space(rand)}[${all.join(`,${space(rand)}`)}]${space(rand)}}${space(rand)}`;
}

describe("rows read straight from JSON bytes", () => {
  it("reads every number as JSON.parse does, bit for bit, in batches and single rows", () => {
    const rand = seeded(11);
    for (let k = 0; k < 400; k++) {
      const width = 1 + Math.floor(rand() * 12);
      const text = instancesBody(rand, 1 + Math.floor(rand() * 30), width);
      const d = decodeInstances(bytes(text), 1000);
      assert.ok(d, `declined a plain batch: ${text.slice(0, 200)}`);
      assertSame(d, text, true);
      const one = `{"features": [${Array.from({ length: width }, () => numberText(rand)).join(", ")}]}`;
      const f = decodeRow(bytes(one));
      assert.ok(f, `declined a plain row: ${one}`);
      assert.equal(f.features, true);
      assertSame(f, one, false);
      const namedBatch = instancesBody(rand, 1 + Math.floor(rand() * 30), width, true);
      const n = decodeInstances(bytes(namedBatch), 1000);
      assert.ok(n, `declined a plain named batch: ${namedBatch.slice(0, 200)}`);
      assert.deepEqual(n.names, KEYS.slice(0, width));
      assertSame(n, namedBatch, true);
      const namedRow = rowText(rand, width, true);
      const r = decodeRow(bytes(namedRow));
      assert.ok(r, `declined a plain named row: ${namedRow}`);
      assert.equal(r.features, false);
      assertSame(r, namedRow, false);
    }
  });

  it("reads the numbers where a short conversion would round wrongly", () => {
    // Each needs more than the exact fast path: 17 significant digits, 2^53 + 1, a subnormal, the
    // largest double, a halfway case, an exponent past 10^22.
    const hard = [
      "0.30000000000000004",
      "9007199254740993",
      "2.2250738585072011e-308",
      "4.9e-324",
      "1.7976931348623157e308",
      "9007199254740992.5",
      "1e23",
      "8.41e21",
      "123456789012345678901234567890",
      "0.000000000000000000000000000001",
      "-1.0000000000000002",
    ];
    const text = `{"instances": [[${hard.join(", ")}]]}`;
    const d = decodeInstances(bytes(text), 10);
    assert.ok(d);
    assertSame(d, text, true);
  });

  it("takes as many rows as allowed and declines one more", () => {
    const text = (n: number) => JSON.stringify({ instances: Array(n).fill([1, 2.5]) });
    assert.equal(decodeInstances(bytes(text(7)), 7)?.rows, 7);
    assert.equal(decodeInstances(bytes(text(8)), 7), undefined);
  });

  it("keeps exactly its rows whether the first row is longer or shorter than the rest", () => {
    const rand = seeded(5);
    const long = `[${Array(6).fill("1.2345678901234567").join(",")}]`;
    const short = "[1,2,3,4,5,6]";
    for (const rows of [
      [long, ...Array(500).fill(short)],
      [short, ...Array(500).fill(long)],
      [short, long, short, long],
    ]) {
      const text = `{"instances": [${rows.join(space(rand) === "" ? "," : ", ")}]}`;
      const d = decodeInstances(bytes(text), 10_000);
      assert.ok(d);
      assertSame(d, text, true);
    }
  });

  it("declines every body of another shape, and every body that is not JSON", () => {
    const batches = [
      '{"instances": []}',
      '{"instances": [[]]}',
      '{"instances": [[1, 2], [3]]}',
      '{"instances": [[1, 2], [3, 4, 5]]}',
      '{"instances": [1, 2]}',
      '{"instances": [[[1]]]}',
      '{"instances": [[1, null]]}',
      '{"instances": [[1, "2"]]}',
      '{"instances": [[1, true]]}',
      '{"instances": [{"a": 1}, {"b": 1}]}',
      '{"instances": [{"a": 1, "b": 2}, {"b": 1, "a": 2}]}',
      '{"instances": [{"a": 1, "b": 2}, {"a": 1}]}',
      '{"instances": [{"a": 1}, {"a": 1, "b": 2}]}',
      '{"instances": [{"a": 1, "a": 2}]}',
      '{"instances": [{"a": null}]}',
      '{"instances": [{"a": [1]}]}',
      '{"instances": [{"a\\u0062": 1}]}',
      '{"instances": [{"\u00e9": 1}]}',
      '{"instances": [{"a": 1,}]}',
      '{"instances": [{}]}',
      '{"instances": [{"a": 1}, [1]]}',
      '{"instances": [[1], {"a": 1}]}',
      '{"instances": [[1, 2]], "x": 1}',
      '{"x": 1, "instances": [[1, 2]]}',
      '{"instances": [[1, 2]], "instances": [[3, 4]]}',
      '{"instan\\u0063es": [[1, 2]]}',
      '{"instances": [[1, 2],]}',
      '{"instances": [[1, 2,]]}',
      '{"instances": [[1 2]]}',
      '{"instances": [[01, 2]]}',
      '{"instances": [[1., 2]]}',
      '{"instances": [[.5, 2]]}',
      '{"instances": [[+1, 2]]}',
      '{"instances": [[1e, 2]]}',
      '{"instances": [[1e+, 2]]}',
      '{"instances": [[-, 2]]}',
      '{"instances": [[NaN, 2]]}',
      '{"instances": [[Infinity, 2]]}',
      '{"instances": [[1e400, 2]]}',
      '{"instances": [[0x10, 2]]}',
      '{"instances": [[1, 2]]',
      '{"instances": [[1, 2]]}}',
      '{"instances": [[1, 2]]} x',
      '\ufeff{"instances": [[1, 2]]}',
      '{"instances": [[1,\u00a02]]}',
      '{"instances": [[1,\f2]]}',
      "[[1, 2]]",
      '{"features": [1, 2]}',
      "",
    ];
    for (const text of batches) assert.equal(decodeInstances(bytes(text), 100), undefined, text);
    const rows = [
      '{"features": []}',
      '{"features": [1, 2], "x": 1}',
      '{"features": [[1, 2]]}',
      '{"features": [1, null]}',
      '{"features": [1, 2]',
      '{"instances": [[1, 2]]}',
      '{"features": [1, 2], "features": [3, 4]}',
      '{"a": 1, "a": 2}',
      '{"a": 1, "b": "x"}',
      '{"a": 1, "b": {"c": 2}}',
      '{"a": 1, "b": [2]}',
      '{"a{": 1}',
      '{"a": 1 "b": 2}',
      '{"a": 1} x',
      '{"\u00e9": 1}',
      "{}",
      "[1, 2]",
    ];
    for (const text of rows) assert.equal(decodeRow(bytes(text)), undefined, text);
  });

  it("names the keys each body spells, also when two layouts share a hash", () => {
    // "Aa" and "BB" hash alike (31 × 65 + 97 = 31 × 66 + 66).
    assert.deepEqual(decodeRow(bytes('{"Aa": 1}'))?.names, ["Aa"]);
    assert.deepEqual(decodeRow(bytes('{"BB": 2}'))?.names, ["BB"]);
    assert.deepEqual(decodeRow(bytes('{"Aa": 3}'))?.names, ["Aa"]);
    assert.deepEqual(
      decodeInstances(bytes('{"instances": [{"BB": 1, "x": 2}, {"BB": 3, "x": 4}]}'), 9)?.names,
      ["BB", "x"],
    );
    // A layout seen again is the same list (validators remember where its columns go).
    const a = decodeRow(bytes('{"p": 1, "q": 2}'))?.names;
    assert.ok(a);
    assert.equal(decodeRow(bytes('{ "p" : 5 , "q" : 6 }'))?.names, a);
    // Keys too long to remember are still read.
    const long = "k".repeat(5000);
    assert.deepEqual(decodeRow(bytes(`{"${long}": 1}`))?.names, [long]);
  });

  it("declines a damaged body or reads exactly what JSON.parse reads from it", () => {
    const rand = seeded(23);
    const alphabet = ' \n\t[]{},:."-+eE0123456789aenfulstr\\\u00ff';
    let taken = 0;
    for (let k = 0; k < 6000; k++) {
      const batch = rand() < 0.6;
      const named = rand() < 0.4;
      let text = batch
        ? instancesBody(rand, 1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 3), named)
        : named
          ? rowText(rand, 1 + Math.floor(rand() * 3), true)
          : `{"features": [${numberText(rand)}, ${numberText(rand)}]}`;
      text = damaged(text, rand, 1 + Math.floor(rand() * 3), alphabet);
      const d = batch ? decodeInstances(bytes(text), 100) : decodeRow(bytes(text));
      if (d === undefined) continue;
      taken++;
      assertSame(d, text, batch);
    }
    // Most single damages leave a readable body (a digit for a digit, a space for a space).
    assert.ok(taken > 450, `only ${taken} damaged bodies were read`);
  });
});

describe("a validator's table of rows read from bytes", () => {
  const signature = NUMERIC_SIGNATURE;
  const validator = compileValidator(signature);

  it("is the general path's table, or declined where the general path must speak", () => {
    const rand = seeded(3);
    let declined = 0;
    for (let k = 0; k < 500; k++) {
      const rows = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => [
        (rand() - 0.5) * 100,
        Math.round((rand() - 0.5) * 14 * 10) / 10,
        rand() < 0.9 ? Math.round(rand() * 50) : 2.5,
      ]);
      const text = JSON.stringify({ instances: rows });
      const d = decodeInstances(bytes(text), 100);
      assert.ok(d);
      const table = validator.fromDecoded(d);
      let general: unknown;
      try {
        // The rows the general path would read from the text (JSON writes -0 as 0).
        general = validator.toTable(JSON.parse(text).instances, "instances");
      } catch (err) {
        general = err;
      }
      if (table === undefined) {
        declined++;
        // Declined: out of range or not an integer, which the general path refuses.
        assert.ok(general instanceof Error, text);
        continue;
      }
      assert.deepEqual(table, general);
    }
    assert.ok(declined > 50 && declined < 450, `declined ${declined}`);
  });

  it("declines another width, and `features` for a model with an input of that name", () => {
    const d = decodeInstances(bytes('{"instances": [[1, 2]]}'), 10)!;
    assert.equal(validator.fromDecoded(d), undefined);
    const f = decodeRow(bytes('{"features": [1, 2, 3]}'))!;
    assert.deepEqual(validator.fromDecoded(f)?.numeric, new Float64Array([1, 2, 3]));
    const named = compileValidator({
      ...signature,
      inputs: [
        { name: "features", dtype: "float", nullable: false },
        { name: "b", dtype: "float", nullable: false },
        { name: "c", dtype: "float", nullable: false },
      ],
    });
    assert.equal(named.fromDecoded(f), undefined);
    const batch = decodeInstances(bytes('{"instances": [[1, 2, 3]]}'), 10)!;
    assert.deepEqual(named.fromDecoded(batch)?.numeric, new Float64Array([1, 2, 3]));
    // A named row of `features`: the model's input of that name, or (a model of one input) its value.
    const wrapped = decodeRow(bytes('{"features": 5, "b": 6, "c": 7}'))!;
    assert.deepEqual(wrapped.names, ["features", "b", "c"]);
    assert.deepEqual(named.fromDecoded(wrapped)?.numeric, new Float64Array([5, 6, 7]));
    const single = compileValidator({
      ...signature,
      inputs: [{ name: "x", dtype: "float", nullable: false }],
    });
    const bare = decodeRow(bytes('{"features": 5}'))!;
    assert.equal(single.fromDecoded(bare), undefined);
    assert.deepEqual(single.toTable([{ features: 5 }], "").numeric, new Float64Array([5]));
  });

  it("puts named rows' values in the model's columns, whatever the keys' order", () => {
    const rand = seeded(9);
    const names = ["a", "b", "n"];
    for (let k = 0; k < 200; k++) {
      const order = [...names].sort(() => rand() - 0.5);
      const rows = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
        Object.fromEntries(
          order.map((n) => [n, n === "n" ? Math.floor(rand() * 9) : Math.round(rand() * 80) / 10 - 4]),
        ),
      );
      const text = JSON.stringify({ instances: rows });
      const d = decodeInstances(bytes(text), 100)!;
      assert.deepEqual(d.names, order);
      assert.deepEqual(validator.fromDecoded(d), validator.toTable(JSON.parse(text).instances, "instances"));
      const one = JSON.stringify(rows[0]);
      assert.deepEqual(
        validator.fromDecoded(decodeRow(bytes(one))!),
        validator.toTable([JSON.parse(one)], ""),
      );
    }
    // A key the model does not have, or one it lacks: the general path's errors.
    assert.equal(validator.fromDecoded(decodeRow(bytes('{"a": 1, "b": 2, "m": 3}'))!), undefined);
    assert.equal(validator.fromDecoded(decodeRow(bytes('{"a": 1, "b": 2}'))!), undefined);
  });
});
