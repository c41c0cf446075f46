/**
 * @module Tests of the protobuf wire reader and writer against protobufjs (the reference encoder and
 * decoder): varints up to 64 bits and negative int64s, fixed-width fields, lengths, nested messages,
 * lossless re-encoding, and clean errors for truncated or malformed input.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import protobuf from "protobufjs";
import {
  decodeFields,
  encodeFields,
  type Field,
  int,
  message,
  ProtobufError,
  str,
  text,
} from "../../../src/formats/protobuf/wire.ts";

const { Reader, Writer } = protobuf;
const tag = (no: number, wire: number) => (no << 3) | wire;
/** A protobufjs Long (or number) as an unsigned 64-bit bigint. */
const u64 = (v: unknown) => BigInt.asUintN(64, BigInt(String(v)));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function fails(bytes: Uint8Array, message: RegExp) {
  assert.throws(
    () => decodeFields(bytes),
    (e: unknown) => {
      assert.ok(e instanceof ProtobufError, `a ProtobufError, got ${String(e)}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe("protobuf wire: reading what protobufjs writes", () => {
  it("varints of every length, up to 2^64 - 1", () => {
    const values: [number | string, bigint][] = [
      [0, 0n],
      [1, 1n],
      [127, 127n],
      [128, 128n],
      [300, 300n],
      [16383, 16383n],
      [16384, 16384n],
      [2 ** 32, 2n ** 32n],
      [Number.MAX_SAFE_INTEGER, 2n ** 53n - 1n],
    ];
    for (const [v, want] of values) {
      const b = Writer.create().uint32(tag(1, 0)).uint64(v).finish();
      assert.deepEqual(decodeFields(b), [{ no: 1, wire: 0, int: want }], `uint64 ${v}`);
    }
    const max = Writer.create().uint32(tag(1, 0)).int64(-1).finish();
    assert.equal(hex(max), "08ffffffffffffffffff01", "protobufjs writes int64 -1 as ten bytes");
    assert.deepEqual(decodeFields(max), [{ no: 1, wire: 0, int: 2n ** 64n - 1n }]);
  });

  it("field numbers up to 2^29 - 1 and every supported wire type", () => {
    const w = Writer.create();
    w.uint32(tag(536870911, 0)).uint32(7);
    w.uint32(tag(2, 1)).double(Math.PI);
    w.uint32(tag(3, 5)).float(1.5);
    w.uint32(tag(4, 2)).string("héllo");
    w.uint32(tag(5, 2)).bytes(Uint8Array.of(0, 255, 1));
    w.uint32(tag(6, 0)).sint32(-3);
    w.uint32(tag(7, 5)).sfixed32(-2);
    const fields = decodeFields(w.finish());
    assert.deepEqual(
      fields.map((f) => [f.no, f.wire]),
      [
        [536870911, 0],
        [2, 1],
        [3, 5],
        [4, 2],
        [5, 2],
        [6, 0],
        [7, 5],
      ],
    );
    assert.equal(fields[0].int, 7n);
    assert.equal(Buffer.from(fields[1].bytes!).readDoubleLE(), Math.PI);
    assert.equal(Buffer.from(fields[2].bytes!).readFloatLE(), 1.5);
    assert.equal(str(fields[3]), "héllo");
    assert.equal(hex(fields[4].bytes!), "00ff01");
    assert.equal(fields[5].int, 5n, "sint32 -3 is zigzag 5 on the wire");
    assert.equal(Buffer.from(fields[6].bytes!).readInt32LE(), -2);
  });

  it("nested messages, repeated fields in order, and an empty message", () => {
    const w = Writer.create();
    w.uint32(tag(1, 2)).fork().uint32(tag(1, 2)).string("inner").uint32(tag(2, 0)).int32(-5).ldelim();
    w.uint32(tag(3, 0)).uint32(1).uint32(tag(3, 0)).uint32(2);
    w.uint32(tag(4, 2)).fork().ldelim();
    const [outer, r1, r2, empty] = decodeFields(w.finish());
    const inner = decodeFields(outer.bytes!);
    assert.equal(str(inner[0]), "inner");
    assert.equal(inner[1].int, 2n ** 64n - 5n, "int32 -5 is sign-extended to 64 bits on the wire");
    assert.deepEqual([r1.int, r2.int], [1n, 2n]);
    assert.deepEqual([empty.no, empty.wire, empty.bytes?.byteLength], [4, 2, 0]);
    assert.deepEqual(decodeFields(new Uint8Array(0)), []);
    assert.equal(str(undefined), "");
  });

  it("reads a real ONNX model's header fields", () => {
    const bytes = readFileSync(
      new URL("../../fixtures/onnx/skl2onnx/iris_logreg_zipmap/model.onnx", import.meta.url),
    );
    const fields = decodeFields(new Uint8Array(bytes));
    // onnx.proto ModelProto: ir_version = 1 (varint), producer_name = 2, graph = 7, opset_import = 8.
    const reader = Reader.create(new Uint8Array(bytes));
    const seen: [number, number][] = [];
    while (reader.pos < reader.len) {
      const t = reader.uint32();
      seen.push([t >>> 3, t & 7]);
      reader.skipType(t & 7);
    }
    assert.deepEqual(
      fields.map((f) => [f.no, f.wire]),
      seen,
    );
    assert.equal(str(fields.find((f) => f.no === 2)), "skl2onnx");
    assert.ok((fields.find((f) => f.no === 1)?.int ?? 0n) >= 3n, "ir_version");
  });
});

describe("protobuf wire: writing what protobufjs reads", () => {
  it("varints, negative ints as ten-byte two's complement, strings and nested messages", () => {
    const out = encodeFields([
      int(1, 0),
      int(1, 300),
      int(2, 2n ** 64n - 1n),
      int(3, -1),
      int(3, -2147483648),
      text(4, "zipmap ✓"),
      message(5, [text(1, "N"), int(2, 3)]),
      { no: 6, wire: 5, bytes: Uint8Array.of(0, 0, 0xc0, 0x3f) },
      { no: 7, wire: 1, bytes: Uint8Array.of(0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40) },
    ]);
    const r = Reader.create(out);
    assert.equal(r.uint32(), tag(1, 0));
    assert.equal(r.uint32(), 0);
    assert.equal(r.uint32(), tag(1, 0));
    assert.equal(r.uint32(), 300);
    assert.equal(r.uint32(), tag(2, 0));
    assert.equal(u64(r.uint64()), 2n ** 64n - 1n);
    assert.equal(r.uint32(), tag(3, 0));
    assert.equal(r.int32(), -1);
    assert.equal(r.uint32(), tag(3, 0));
    assert.equal(r.int32(), -2147483648);
    assert.equal(r.uint32(), tag(4, 2));
    assert.equal(r.string(), "zipmap ✓");
    assert.equal(r.uint32(), tag(5, 2));
    const inner = Reader.create(r.bytes());
    assert.equal(inner.uint32(), tag(1, 2));
    assert.equal(inner.string(), "N");
    assert.equal(inner.uint32(), tag(2, 0));
    assert.equal(inner.uint32(), 3);
    assert.equal(r.uint32(), tag(6, 5));
    assert.equal(r.float(), 1.5);
    assert.equal(r.uint32(), tag(7, 1));
    assert.equal(r.double(), Math.PI);
    assert.equal(r.pos, r.len);
  });

  it("writes the same bytes protobufjs writes", () => {
    const ours = encodeFields([int(1, 150), text(2, "testing"), int(3, -1), message(4, [int(1, 1)])]);
    const theirs = Writer.create()
      .uint32(tag(1, 0))
      .uint32(150)
      .uint32(tag(2, 2))
      .string("testing")
      .uint32(tag(3, 0))
      .int64(-1)
      .uint32(tag(4, 2))
      .fork()
      .uint32(tag(1, 0))
      .uint32(1)
      .ldelim()
      .finish();
    assert.equal(hex(ours), hex(theirs));
    // The protobuf encoding guide's own example: field 1 = 150 is 08 96 01.
    assert.equal(hex(encodeFields([int(1, 150)])), "089601");
  });

  it("re-encodes decoded fields losslessly (a real ONNX model, byte for byte)", () => {
    const bytes = new Uint8Array(
      readFileSync(new URL("../../fixtures/onnx/skl2onnx/iris_logreg_zipmap/model.onnx", import.meta.url)),
    );
    assert.equal(hex(encodeFields(decodeFields(bytes))), hex(bytes));
    const graph = decodeFields(bytes).find((f) => f.no === 7)!;
    const regraph: Field = message(7, decodeFields(graph.bytes!));
    assert.deepEqual(regraph.bytes, graph.bytes);
  });
});

describe("protobuf wire: malformed input", () => {
  it("refuses a varint that never ends or runs past the end", () => {
    fails(Uint8Array.of(0x08, 0x80), /bad varint at byte 1/);
    fails(Uint8Array.of(0x08, ...new Array(11).fill(0xff)), /bad varint at byte 1/);
    fails(Uint8Array.of(0x80), /bad varint at byte 0/);
    // Ten bytes whose last one carries more than bit 63 would overflow 64 bits.
    fails(Uint8Array.of(0x08, ...new Array(9).fill(0xff), 0x02), /bad varint at byte 1/);
    assert.deepEqual(decodeFields(Uint8Array.of(0x08, ...new Array(9).fill(0xff), 0x01)), [
      { no: 1, wire: 0, int: 2n ** 64n - 1n },
    ]);
  });

  it("refuses length-delimited and fixed-width fields that run past the end", () => {
    fails(Uint8Array.of(tag(1, 2), 5, 1, 2), /field 1 runs past the end/);
    fails(Uint8Array.of(tag(1, 2), 0xff, 0xff, 0xff, 0xff, 0x0f), /field 1 runs past the end/);
    fails(Uint8Array.of(tag(1, 1), 1, 2, 3), /truncated fixed-width/);
    fails(Uint8Array.of(tag(1, 5), 1, 2, 3), /truncated fixed-width/);
  });

  it("refuses field number 0 and group / unknown wire types", () => {
    fails(Uint8Array.of(tag(0, 0), 1), /field number 0/);
    fails(Uint8Array.of(tag(1, 3)), /unsupported wire type 3 for field 1/);
    fails(Uint8Array.of(tag(2, 4)), /unsupported wire type 4 for field 2/);
    fails(Uint8Array.of(tag(1, 6)), /unsupported wire type 6/);
    fails(Uint8Array.of(tag(1, 7)), /unsupported wire type 7/);
  });

  it("refuses every truncation of a message that protobufjs wrote", () => {
    const b = Writer.create()
      .uint32(tag(1, 2))
      .string("abcdef")
      .uint32(tag(2, 0))
      .uint64(2 ** 40)
      .uint32(tag(3, 1))
      .double(2.5)
      .finish();
    assert.equal(decodeFields(b).length, 3);
    // Cuts that land on a field boundary leave a shorter valid message; every other cut must throw.
    const boundaries = new Set([0, 8, 15]);
    for (let cut = 1; cut < b.length; cut++) {
      if (boundaries.has(cut)) assert.ok(decodeFields(b.subarray(0, cut)).length > 0);
      else assert.throws(() => decodeFields(b.subarray(0, cut)), ProtobufError, `cut at ${cut}`);
    }
  });
});
