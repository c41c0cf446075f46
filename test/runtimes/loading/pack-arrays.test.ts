/**
 * A loader worker's result has its small typed arrays gathered into a few buffers before the move:
 * same values, same element types, each array still one array wherever it is referenced, views aligned
 * for their element type, and a posted copy carries them the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { packArrays } from "../../../src/runtimes/loading/pack-arrays.ts";
import { transferables, transferListOf, withTransferList } from "../../../src/runtimes/loading/transfer.ts";

/** A result shaped like the pickle worker's: records, lists and maps holding many small arrays. */
function sample() {
  const shared = Float64Array.from([1.5, -0, Number.NaN, 2 ** 60]);
  const trees = Array.from({ length: 40 }, (_, i) => ({
    left: Int32Array.from([1, -1, -1 - i]),
    threshold: shared,
    missing: Uint8Array.from([i & 1, 1, 0]),
    big: BigInt64Array.from([BigInt(i), -(2n ** 62n)]),
    odd: Uint8Array.from({ length: 3 + (i % 5) }, (_, j) => j + i),
  }));
  const byName = new Map<string, unknown>([
    ["a", Float32Array.from([0.1, 0.2])],
    ["b", shared],
  ]);
  return {
    value: { trees },
    layouts: new Map([[trees[0], byName]]),
    large: new Float64Array((1 << 20) / 8 + 1),
  };
}

describe("packArrays", () => {
  it("moves many small arrays into a few buffers, keeping values, types, identity and alignment", () => {
    const before = sample();
    const after = packArrays(sample());
    const buffers = transferables(after);
    // The small arrays share one buffer; the array above 16 kB keeps its own.
    assert.equal(buffers.length, 2);
    assert.deepStrictEqual(after, before);
    const t = after.value.trees;
    assert.equal(t[0].threshold, t[39].threshold, "an array reached twice is still one array");
    assert.equal(after.layouts.get(t[0])?.get("b"), t[5].threshold, "also through a map");
    for (const tree of t)
      for (const a of Object.values(tree)) {
        assert.equal(
          a.buffer,
          buffers.find((b) => b !== after.large.buffer),
        );
        assert.equal(a.byteOffset % a.BYTES_PER_ELEMENT, 0);
      }
    assert.equal(after.large.buffer.byteLength, (1 << 20) + 8, "a large array is left as it is");
  });

  it("posts and receives the packed result unchanged", () => {
    const before = sample();
    const packed = packArrays(sample());
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(packed, transferables(packed));
    const got = receiveMessageOnPort(port2)?.message;
    port1.close();
    assert.deepStrictEqual(got, before);
  });

  it("gives the transfer list a walk of the packed result would find, packing or not", () => {
    const sameSet = (a: readonly ArrayBuffer[], b: readonly ArrayBuffer[]) => {
      assert.equal(new Set(a).size, a.length, "no buffer twice");
      assert.deepEqual(new Set(a), new Set(b));
    };
    // Packed: the arenas and the large array's own buffer (a view into a larger buffer too).
    const many = sample() as ReturnType<typeof sample> & { slice?: Uint8Array };
    many.slice = new Uint8Array(new ArrayBuffer(1 << 16), 8, 4);
    const transfer: ArrayBuffer[] = [];
    packArrays(many, { transfer });
    sameSet(transfer, transferables(many));
    assert.ok(transfer.length >= 2);
    // Too few to pack: every array's buffer, a DataView's included.
    const few = { a: Int32Array.from([1, 2]), d: new DataView(new ArrayBuffer(8)), again: [] as unknown[] };
    few.again.push(few.a);
    const t2: ArrayBuffer[] = [];
    packArrays(few, { transfer: t2 });
    sameSet(t2, transferables(few));
    assert.equal(t2.length, 2);
    // Shared memory: nothing left to transfer.
    const t3: ArrayBuffer[] = [];
    const sharedResult = packArrays(sample(), { shared: true, transfer: t3 });
    sameSet(t3, transferables(sharedResult));
    assert.equal(t3.length, 0);
    // A result carrying its list is posted with it (and the list itself is not cloned).
    const posted = withTransferList({ ...many }, transfer);
    assert.equal(transferListOf(posted), transfer);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(posted, transferListOf(posted));
    const got = receiveMessageOnPort(port2)?.message as Record<string | symbol, unknown>;
    port1.close();
    assert.equal(transferListOf(got), undefined);
    assert.equal(transferListOf(42), undefined);
  });

  it("leaves a result with few arrays as it is", () => {
    const small = { a: Int32Array.from([1, 2]), b: Float64Array.from([3]) };
    const a = small.a;
    packArrays(small);
    assert.equal(small.a, a);
    assert.notEqual(small.a.buffer, small.b.buffer);
  });
});
