/**
 * Model files are read into shared memory when large (the loader workers read them in place), the plain
 * way when small or ONNX (onnxruntime takes only unshared buffers), byte for byte either way.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readModelBytes, SHARED_READ_MIN } from "../../../src/runtimes/loading/read-model-bytes.ts";
import { tempDir } from "../../lifecycle-helpers.ts";

describe("readModelBytes", () => {
  const dir = tempDir("read-model-bytes");
  const big = randomBytes(SHARED_READ_MIN * 2 + 123);
  const small = randomBytes(1000);

  it("reads a large file into shared memory, byte for byte", async () => {
    const file = join(dir, "big.joblib");
    writeFileSync(file, big);
    const bytes = await readModelBytes(file, big.byteLength);
    assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Buffer.from(bytes), big);
  });

  it("reads small files and ONNX files the plain way", async () => {
    const file = join(dir, "small.json");
    writeFileSync(file, small);
    const s = await readModelBytes(file, small.byteLength);
    assert.ok(!(s.buffer instanceof SharedArrayBuffer));
    assert.deepEqual(Buffer.from(s), small);
    const onnx = join(dir, "big.onnx");
    writeFileSync(onnx, big);
    const o = await readModelBytes(onnx, big.byteLength);
    assert.ok(!(o.buffer instanceof SharedArrayBuffer));
    assert.deepEqual(Buffer.from(o), big);
  });

  it("reads what the file holds when it changed size since stat, still into shared memory", async () => {
    const file = join(dir, "grown.joblib");
    writeFileSync(file, big);
    const stale = await readModelBytes(file, SHARED_READ_MIN + 5);
    assert.deepEqual(Buffer.from(stale), big);
    // A file that grew (still being copied) would otherwise be copied into shared memory on the event loop.
    assert.ok(stale.buffer instanceof SharedArrayBuffer);
    const shrunk = await readModelBytes(file, big.byteLength + 4096);
    assert.deepEqual(Buffer.from(shrunk), big);
    assert.ok(shrunk.buffer instanceof SharedArrayBuffer);
  });
});
