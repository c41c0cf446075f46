/**
 * @module Reads a model file. Large files are read straight into shared memory: the loader workers
 * read them there in place, and the pages are filled by the read itself, on a libuv thread. Copying a
 * file read the plain way into shared memory on the event loop cost about 3 ms per MB here (the first
 * touch of every fresh page): a third of a second for a 110 MB forest.
 */

import { type FileHandle, open, readFile } from "node:fs/promises";
import { extname } from "node:path";

/** Files at least this large are read into shared memory. */
export const SHARED_READ_MIN = 1 << 20;

/**
 * The bytes of the file at `path` (of `size` bytes at its `stat`). ONNX files are read the plain way:
 * onnxruntime takes only unshared buffers.
 */
export async function readModelBytes(path: string, size: number): Promise<Uint8Array> {
  if (size < SHARED_READ_MIN || extname(path).toLowerCase() === ".onnx") return readFile(path);
  const file = await open(path, "r");
  try {
    // A file still being copied into a watched repository grows while it is read: read it again at its
    // new size (a plain read would be copied into shared memory on the event loop, 0.6 s for 110 MB).
    for (let attempt = 0; attempt < 3 && size >= SHARED_READ_MIN; attempt++) {
      const out = await readShared(file, size);
      if (out) return out;
      size = (await file.stat()).size;
    }
  } finally {
    await file.close();
  }
  return readFile(path);
}

/** The whole file into shared memory when it holds exactly `size` bytes; undefined when it does not. */
async function readShared(file: FileHandle, size: number): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(new SharedArrayBuffer(size));
  let at = 0;
  while (at < size) {
    const { bytesRead } = await file.read(out, at, size - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  // The file changed size since `stat`.
  const more = await file.read(new Uint8Array(1), 0, 1, at);
  return at === size && more.bytesRead === 0 ? out : undefined;
}
