/**
 * @module Container sniffing and decompression for joblib files: zlib and gzip with Node's own zlib;
 * bz2, xz, lzma and lz4 through optional pure-JS packages loaded only when a file needs them.
 * Ref: joblib `compressor.py` (magic numbers).
 */

import { gunzipSync, inflateSync } from "node:zlib";
import { Errors } from "../../errors.ts";
import { decodeLz4Frame, type Lz4Codec, type Xxh32 } from "./lz4-frame.ts";

/** Compression formats joblib writes. */
export type Compression = "none" | "zlib" | "gzip" | "bz2" | "xz" | "lzma" | "lz4";

/** Largest decompressed size accepted (a guard against decompression bombs). */
export const MAX_DECOMPRESSED = 4 * 1024 ** 3 - 1;

/** Which container the bytes are, by their magic number. */
export function detectCompression(b: Uint8Array): Compression | "joblib-zf" | undefined {
  if (b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) return "none";
  if (b[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(b[1])) return "zlib";
  if (b[0] === 0x1f && b[1] === 0x8b) return "gzip";
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return "bz2";
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0)
    return "xz";
  if (b[0] === 0x5d && b[1] === 0 && b[2] === 0) return "lzma";
  if (b[0] === 0x04 && b[1] === 0x22 && b[2] === 0x4d && b[3] === 0x18) return "lz4";
  if (b[0] === 0x5a && b[1] === 0x46) return "joblib-zf";
  return undefined;
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

/** Decompresses a joblib container; the result is the pickle stream. */
export async function decompress(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  const kind = detectCompression(bytes);
  const fail = (why: string) => Errors.invalidModel(fileName, `cannot decompress (${kind}): ${why}`);
  try {
    switch (kind) {
      case "none":
        return bytes;
      case "zlib":
        return inflateSync(bytes, { maxOutputLength: MAX_DECOMPRESSED });
      case "gzip":
        return gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED });
      case "bz2": {
        const m = await optional<{ default: { decode(b: Buffer): Buffer } }>("seek-bzip");
        return m.default.decode(Buffer.from(bytes));
      }
      case "xz": {
        const m = await optional<{
          default: { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
        }>("xz-decompress");
        const stream = new m.default.XzReadableStream(new Blob([bytes]).stream());
        return new Uint8Array(await new Response(stream).arrayBuffer());
      }
      case "lzma": {
        const m = await optional<{ default: { decompress(b: ArrayLike<number>): number[] | string } }>(
          "lzma",
        );
        const out = m.default.decompress(endChecked(bytes));
        if (typeof out === "string") return new TextEncoder().encode(out);
        return Uint8Array.from(out, (v) => v & 0xff);
      }
      case "lz4": {
        const m = await optional<Lz4Codec>("lz4js");
        const x = await optional<{ hash: Xxh32 }>("lz4js/xxh32.js");
        return Uint8Array.from(decodeLz4Frame(bytes, m, x.hash));
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
    throw fail((err as Error).message);
  }
}
