/**
 * Bounds of the pickle layer on hand-built inputs: object-graph cycles and depth (iterative, no stack
 * overflow), numpy dtype layouts, and capped decompression.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";
import { decompress, inflateCapped } from "../../../src/formats/compression/decompress.ts";
import { checkGraph, GraphError } from "../../../src/formats/pickle/graph-bounds.ts";
import {
  arrayFromBytes,
  dtypeFromTypestr,
  dtypeWithState,
  NumpyError,
} from "../../../src/formats/pickle/numpy.ts";
import type { PyDict, PyObject, PyValue } from "../../../src/formats/pickle/py-objects.ts";

const tuple = (...items: PyValue[]): PyValue => ({ kind: "tuple", items });
const dict = (entries: [string, PyValue][]): PyDict => ({
  kind: "dict",
  map: new Map(entries),
  otherEntries: [],
});

describe("object graph bounds", () => {
  it("refuses a pipeline that contains itself as a cycle", () => {
    const steps: PyValue[] = [];
    const p: PyObject = {
      kind: "object",
      module: "sklearn.pipeline",
      name: "Pipeline",
      args: [],
      state: dict([["steps", steps]]),
    };
    steps.push(tuple("again", p));
    assert.throws(
      () => checkGraph(p),
      (e: unknown) =>
        e instanceof GraphError && e.reason === "cycle" && /Pipeline contains itself/.test(e.message),
    );
  });

  it("refuses 100 000 levels of nesting as too deep, without a stack overflow", () => {
    let v: PyValue = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    assert.throws(
      () => checkGraph(v, 200),
      (e: unknown) => e instanceof GraphError && e.reason === "depth" && /200 levels/.test(e.message),
    );
  });

  it("counts depth through shared values: a deep chain reached first from a shallow place still counts", () => {
    let chain: PyValue = 1;
    for (let i = 0; i < 150; i++) chain = [chain];
    // Reached at depth 1 first, then again under 100 more levels: the graph's height is 251.
    let deep: PyValue = chain;
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.throws(() => checkGraph([chain, deep], 200), GraphError);
    assert.doesNotThrow(() => checkGraph([chain, deep], 260));
  });

  it("accepts a diamond (one value shared twice), which is not a cycle", () => {
    const shared: PyValue = [1, 2];
    assert.doesNotThrow(() => checkGraph([shared, shared, tuple(shared)]));
  });
});

describe("numpy bounds", () => {
  const withFields = (names: string[], fields: [string, string, number][], size: number) =>
    dtypeWithState(
      dtypeFromTypestr(`V${size}`),
      tuple(
        3,
        "|",
        null,
        tuple(...names),
        dict(fields.map(([n, t, off]) => [n, tuple(dtypeFromTypestr(t), off)])),
        size,
        1,
        16,
      ),
    );

  it("refuses zero-size items holding elements (U0, S0)", () => {
    for (const t of ["U0", "S0"]) {
      const d = dtypeWithState(dtypeFromTypestr(t), tuple(3, "|", null, null, null, 0, 1, 8));
      assert.throws(() => arrayFromBytes(d, [1_000_000_000], new Uint8Array(0), false), /zero-size dtype/);
    }
  });

  it("refuses a field named twice, fields outside the record, overlapping fields, too many fields", () => {
    assert.throws(() => withFields(["a", "a"], [["a", "<f8", 0]], 8), /not a unique string/);
    assert.throws(() => withFields(["a"], [["a", "<f8", -8]], 8), /spans bytes -8\.\.0/);
    assert.throws(() => withFields(["a"], [["a", "<f8", 4]], 8), /spans bytes 4\.\.12 of a 8-byte record/);
    assert.throws(
      () =>
        withFields(
          ["a", "b"],
          [
            ["a", "<f8", 0],
            ["b", "<i4", 4],
          ],
          16,
        ),
      /overlap/,
    );
    const many = Array.from({ length: 300 }, (_, i) => `f${i}`);
    assert.throws(
      () =>
        withFields(
          many,
          many.map((n, i) => [n, "|u1", i]),
          300,
        ),
      (e: unknown) => e instanceof NumpyError && e.reason === "limit" && /300 fields/.test(e.message),
    );
  });

  it("decodes a sound record layout field by field", () => {
    const d = withFields(
      ["a", "b"],
      [
        ["a", "<i4", 0],
        ["b", "<f4", 4],
      ],
      8,
    );
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, 7, true);
    view.setFloat32(4, 1.5, true);
    view.setInt32(8, -2, true);
    view.setFloat32(12, 2.5, true);
    const arr = arrayFromBytes(d, [2], bytes, false);
    assert.deepEqual([...(arr.fields!.get("a") as Int32Array)], [7, -2]);
    assert.deepEqual([...(arr.fields!.get("b") as Float32Array)], [1.5, 2.5]);
  });
});

describe("capped decompression", () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);

  it("inflates zlib and gzip within the cap exactly", async () => {
    assert.deepEqual(await decompress(deflateSync(zeros), "m.joblib", zeros.length), zeros);
    assert.deepEqual(await decompress(gzipSync(zeros), "m.joblib", zeros.length), zeros);
  });

  it("stops a stream past the cap with MS_DECOMPRESSION_LIMIT", async () => {
    await assert.rejects(decompress(deflateSync(zeros), "bomb.joblib", 1024 * 1024), (e: unknown) => {
      const err = e as { code: string; message: string };
      return err.code === "MS_DECOMPRESSION_LIMIT" && /bomb\.joblib inflates beyond/.test(err.message);
    });
    await assert.rejects(inflateCapped(gzipSync(zeros), "gzip", 1000), /more than 1000 bytes/);
  });
});
