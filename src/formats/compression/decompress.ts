/**
 * @module Container sniffing and decompression for joblib files: zlib and gzip with Node's own zlib;
 * bz2, xz, lzma and lz4 through optional pure-JS packages loaded only when a file needs them.
 * Ref: joblib `compressor.py` (magic numbers).
 */

import { isMainThread } from "node:worker_threads";
import { createGunzip, createInflate, gunzipSync, inflateSync } from "node:zlib";
import { Errors } from "../../errors.ts";
import { detectCompression } from "./detect.ts";
import { decodeLz4Frame, type Lz4Codec, type Xxh32 } from "./lz4-frame.ts";

/** Largest decompressed size ever accepted (a guard against decompression bombs). */
export const MAX_DECOMPRESSED = 4 * 1024 ** 3 - 1;

/** Raised when the output passes the cap; the caller reports `MS_DECOMPRESSION_LIMIT`. */
export class InflateLimitError extends Error {}

/**
 * Inflates zlib or gzip data as a stream, chunk by chunk, stopping as soon as the output passes
 * `cap` bytes: a bomb costs at most `cap` bytes and the time to produce them, never its full size.
 */
export async function inflateCapped(
  bytes: Uint8Array,
  kind: "zlib" | "gzip",
  cap: number,
): Promise<Uint8Array> {
  const z = kind === "gzip" ? createGunzip({ chunkSize: 1 << 20 }) : createInflate({ chunkSize: 1 << 20 });
  const chunks: Buffer[] = [];
  let total = 0;
  return await new Promise<Uint8Array>((resolve, reject) => {
    z.on("data", (c: Buffer) => {
      total += c.byteLength;
      if (total > cap) {
        z.destroy();
        reject(new InflateLimitError(`more than ${cap} bytes from ${bytes.byteLength} compressed`));
        return;
      }
      chunks.push(c);
    });
    z.on("error", (err) => reject(err));
    z.on("end", () => {
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      resolve(out);
    });
    z.end(bytes);
  });
}

/** Inflates on the calling thread, chunk by chunk, refusing output beyond `cap` as soon as it is passed. */
function inflateWithin(bytes: Uint8Array, kind: "zlib" | "gzip", cap: number): Uint8Array {
  try {
    const opts = { maxOutputLength: Math.min(cap + 1, MAX_DECOMPRESSED), chunkSize: 1 << 20 };
    const out = kind === "gzip" ? gunzipSync(bytes, opts) : inflateSync(bytes, opts);
    if (out.byteLength > cap)
      throw new InflateLimitError(`more than ${cap} bytes from ${bytes.byteLength} compressed`);
    return out;
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new InflateLimitError(`more than ${cap} bytes from ${bytes.byteLength} compressed`);
    throw err;
  }
}

/** Reads a web stream to its end, cancelling it once it passes `cap` bytes. */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  cap: number,
  inBytes: number,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel();
      throw new InflateLimitError(`more than ${cap} bytes from ${inBytes} compressed`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A byte sink for byte-at-a-time decoders (seek-bzip) that stops them once they pass the cap. */
class CappedSink {
  private buf = new Uint8Array(1 << 16);
  private pos = 0;
  private readonly cap: number;
  private readonly inBytes: number;
  constructor(cap: number, inBytes: number) {
    this.cap = cap;
    this.inBytes = inBytes;
  }
  writeByte(b: number): void {
    if (this.pos >= this.buf.length) {
      if (this.pos >= this.cap)
        throw new InflateLimitError(`more than ${this.cap} bytes from ${this.inBytes} compressed`);
      const next = new Uint8Array(Math.min(this.buf.length * 2, this.cap));
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.pos++] = b;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Fails when a one-shot decoder's output passes the cap (bz2, lzma, lz4 decode whole). */
function capped(out: Uint8Array, cap: number, inBytes: number): Uint8Array {
  if (out.byteLength > cap)
    throw new InflateLimitError(`${out.byteLength} bytes from ${inBytes} compressed (cap ${cap})`);
  return out;
}

const TRUNCATED = new Error("the compressed data ends early (truncated file)");

/**
 * The bytes as LZMA-JS reads them, but reading past the end throws. LZMA-JS answers -1 at the end of
 * its input and keeps decoding: a truncated `.lzma` stream (whose header leaves the size unknown, as
 * joblib's does) then decodes garbage for minutes. Here the end of input is an error, at once.
 */
function endChecked(bytes: Uint8Array): ArrayLike<number> {
  return new Proxy(bytes, {
    get(target, key) {
      if (key === "length") return Number.MAX_SAFE_INTEGER;
      if (typeof key === "string" && key in target) return target[key as unknown as number];
      if (typeof key === "string" && /^\d+$/.test(key)) throw TRUNCATED;
      return Reflect.get(target, key);
    },
  }) as ArrayLike<number>;
}

async function optional<T>(pkg: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch {
    throw Errors.runtimeDependencyMissing("sklearn", pkg);
  }
}

/**
 * Decompresses a joblib container; the result is the pickle stream. Output beyond `cap` bytes
 * (default {@link MAX_DECOMPRESSED}) is refused with `MS_DECOMPRESSION_LIMIT`.
 */
export async function decompress(
  bytes: Uint8Array,
  fileName: string,
  cap: number = MAX_DECOMPRESSED,
): Promise<Uint8Array> {
  const kind = detectCompression(bytes);
  const fail = (why: string) => Errors.invalidModel(fileName, `cannot decompress (${kind}): ${why}`);
  try {
    switch (kind) {
      case "none":
        return bytes;
      case "zlib":
      case "gzip":
        // On the event loop: a stream inflated on libuv's pool, chunk by chunk. In the loader worker:
        // zlib's own chunked loop on this (low-priority) thread, stopping as soon as the cap is passed.
        return isMainThread ? await inflateCapped(bytes, kind, cap) : inflateWithin(bytes, kind, cap);
      case "bz2": {
        const m = await optional<{ default: { decode(b: Buffer, out: CappedSink): unknown } }>("seek-bzip");
        const sink = new CappedSink(cap, bytes.byteLength);
        m.default.decode(Buffer.from(bytes), sink);
        return sink.bytes();
      }
      case "xz": {
        const m = await optional<{
          default: { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
        }>("xz-decompress");
        const stream = new m.default.XzReadableStream(new Blob([bytes]).stream());
        return await readCapped(stream, cap, bytes.byteLength);
      }
      case "lzma": {
        const m = await optional<{ default: { decompress(b: ArrayLike<number>): number[] | string } }>(
          "lzma",
        );
        const out = m.default.decompress(endChecked(bytes));
        if (typeof out === "string") return capped(new TextEncoder().encode(out), cap, bytes.byteLength);
        return capped(
          Uint8Array.from(out, (v) => v & 0xff),
          cap,
          bytes.byteLength,
        );
      }
      case "lz4": {
        const m = await optional<Lz4Codec>("lz4js");
        const x = await optional<{ hash: Xxh32 }>("lz4js/xxh32.js");
        return capped(Uint8Array.from(decodeLz4Frame(bytes, m, x.hash)), cap, bytes.byteLength);
      }
      case "joblib-zf":
        throw Errors.unsupportedModel(
          fileName,
          "the joblib < 0.10 'ZF' container; re-save the model with a current joblib",
        );
      default:
        throw Errors.invalidModel(fileName, "not a pickle or joblib file (unknown magic bytes)");
    }
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("MS_")) throw err;
    if (err instanceof InflateLimitError) throw Errors.decompressionLimit(fileName, err.message);
    throw fail((err as Error).message);
  }
}
