/**
 * Structured numpy arrays (scikit-learn's tree nodes are one): each field gathered from its records,
 * through whole 32-bit words where the record and the field allow it, byte by byte otherwise; both give
 * the values a DataView reads at each record's offset, NaN payloads and big-endian fields included.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { arrayFromBytes, dtypeFromTypestr } from "../../../src/formats/pickle/numpy.ts";
import type { NpDtype } from "../../../src/formats/pickle/py-objects.ts";
import { seeded } from "../../helpers.ts";

type Field = readonly [name: string, typestr: string, offset: number];

function records(itemsize: number, fields: readonly Field[]): NpDtype {
  return {
    ...dtypeFromTypestr(`|V${itemsize}`),
    fields: fields.map(([name, t, offset]) => ({ name, dtype: dtypeFromTypestr(t), offset })),
  };
}

/** What a DataView reads for field `f` of record `i`, as a number or bigint. */
function read(view: DataView, itemsize: number, [, t, offset]: Field, i: number): number | bigint {
  const at = i * itemsize + offset;
  const little = t[0] !== ">";
  switch (t.slice(1)) {
    case "f8":
      return view.getFloat64(at, little);
    case "i8":
      return view.getBigInt64(at, little);
    case "i4":
      return view.getInt32(at, little);
    case "u1":
      return view.getUint8(at);
    default:
      throw new Error(t);
  }
}

it("gathers every field of every record exactly, aligned or not, little- or big-endian", () => {
  const rnd = seeded(3);
  const layouts: readonly (readonly [number, readonly Field[]])[] = [
    // scikit-learn's shape: words for the 8- and 4-byte fields, bytes for the flag.
    [
      24,
      [
        ["a", "<f8", 0],
        ["b", "<i4", 8],
        ["c", "|u1", 12],
        ["d", "<i8", 16],
      ],
    ],
    // Packed (13-byte records): every field byte by byte.
    [
      13,
      [
        ["a", "<f8", 0],
        ["b", "<i4", 8],
        ["c", "|u1", 12],
      ],
    ],
    // A 4-byte field at an offset that is not a multiple of 4 in word-sized records.
    [
      16,
      [
        ["a", "<i4", 2],
        ["b", ">f8", 8],
      ],
    ],
  ];
  for (const [itemsize, fields] of layouts) {
    for (const count of [0, 1, 7, 1000]) {
      const bytes = new Uint8Array(itemsize * count + 3); // trailing bytes beyond the records are ignored
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
      const view = new DataView(bytes.buffer);
      // A NaN with a payload in the first record's first f8 field: its bits must survive.
      if (count > 0 && fields[0]![1] === "<f8") view.setUint32(4, 0x7ff4_0001, true);
      const arr = arrayFromBytes(records(itemsize, fields), [count], bytes, false);
      for (const f of fields) {
        const col = arr.fields!.get(f[0])!;
        assert.equal((col as ArrayLike<unknown>).length, count);
        for (let i = 0; i < count; i++) {
          const want = read(view, itemsize, f, i);
          const got = (col as ArrayLike<number | bigint>)[i];
          if (typeof want === "number" && Number.isNaN(want)) assert.ok(Number.isNaN(got as number));
          else assert.equal(got, want, `${itemsize}-byte records, field ${f[0]}, record ${i}`);
        }
        if (f[1] === "<f8" && count > 0) {
          const bits = new Uint8Array((col as Float64Array).buffer, (col as Float64Array).byteOffset, 8);
          assert.deepEqual([...bits], [...bytes.subarray(f[2], f[2] + 8)], "the first value's bits");
        }
      }
    }
  }
});
