/** @module Container tests: pickles (protocols 2–5) and joblib files (raw and every compression) written by real numpy 1.x and 2.x decode to the values Python described. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decompress } from "../../../src/formats/compression/decompress.ts";
import type { NdData, PyValue } from "../../../src/formats/pickle/py-objects.ts";
import { unpickle } from "../../../src/formats/pickle/unpickler.ts";
import { isAllowed } from "../../../src/runtimes/sklearn/allow-list.ts";

const ROOT = join(import.meta.dirname, "..", "..", "fixtures", "pickle", "containers");

/** Mirrors `num` in make_containers.py: NaN/±Infinity as strings, ints past 2^53 as decimal strings. */
function num(x: number | bigint | boolean | string | PyValue): unknown {
  if (typeof x === "bigint") {
    const big = x > 2n ** 53n || x < -(2n ** 53n);
    return big ? { int: x.toString() } : Number(x);
  }
  if (typeof x === "number") {
    if (Number.isNaN(x)) return "NaN";
    if (x === Number.POSITIVE_INFINITY) return "Infinity";
    if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  }
  return x;
}

function flat(data: NdData): unknown[] {
  return Array.from(data as ArrayLike<number | bigint | PyValue>, (v) => num(v as number));
}

/** Mirrors `describe` in make_containers.py, so both sides reduce to the same JSON. */
function describeValue(v: PyValue): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return num(v);
  if (v instanceof Uint8Array) return { t: "bytes", data: Array.from(v) };
  if (Array.isArray(v)) return v.map(describeValue);
  switch (v.kind) {
    case "ndarray": {
      const d: Record<string, unknown> = { t: "ndarray", dtype: v.dtype.str, shape: [...v.shape] };
      if (v.fields) d.fields = Object.fromEntries([...v.fields].map(([k, col]) => [k, flat(col)]));
      else if (v.dtype.str.includes("O")) d.data = (v.data as PyValue[]).map(describeValue);
      // Booleans are kept as 0/1 bytes (Uint8Array) by the VM: compare them as booleans.
      else if (v.dtype.str === "|b1") d.data = Array.from(v.data as Uint8Array, (b) => b !== 0);
      else d.data = flat(v.data);
      return d;
    }
    case "scalar":
      return { t: "scalar", value: num(v.value) };
    case "tuple":
      return { t: "tuple", items: v.items.map(describeValue) };
    case "set":
      return { t: "set", items: v.items.map(describeValue).sort() };
    case "dict":
      return { t: "dict", entries: [...v.map].map(([k, x]) => [k, describeValue(x)]) };
    default:
      return { unexpected: v.kind };
  }
}

/** Normalises a numeric dtype to native order (`=`/`<` on little-endian hosts) as Python does with newbyteorder("="). */
function normaliseDtypes(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(normaliseDtypes);
  if (x && typeof x === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      // Numpy spells the object dtype `|O` while the pickle may name it `O8`: same dtype.
      o[k] =
        k === "dtype" && typeof v === "string"
          ? v.replace(/^[>=]/, "<").replace(/^\|O8$/, "|O")
          : normaliseDtypes(v);
    }
    return o;
  }
  return x;
}

for (const np of readdirSync(ROOT).sort()) {
  const dir = join(ROOT, np);
  const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
    numpy: string;
    joblib: string;
    files: string[];
    expected: unknown;
  };
  describe(`containers written by numpy ${exp.numpy}, joblib ${exp.joblib}`, () => {
    it("covers pickle protocols 2–5 and joblib raw plus six compressions", () => {
      assert.equal(exp.files.length, 11);
    });
    for (const file of exp.files) {
      it(`decodes ${file}`, async () => {
        const bytes = new Uint8Array(readFileSync(join(dir, file)));
        const stream = await decompress(bytes, file);
        const r = unpickle(stream, { allowed: isAllowed });
        assert.deepEqual(r.untrusted, []);
        assert.deepEqual(normaliseDtypes(describeValue(r.value)), normaliseDtypes(exp.expected));
      });
    }
  });
}
