/**
 * @module Which container a model file's bytes are, from their first bytes: a plain pickle or one of the
 * compressions joblib writes. Apart from the decompressors (decompress.ts), so that telling a pickle
 * file by its bytes loads none of them.
 */

/** Compression formats joblib writes. */
export type Compression = "none" | "zlib" | "gzip" | "bz2" | "xz" | "lzma" | "lz4";

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
  if (isOldPickle(b)) return "none";
  return undefined;
}

const ascii = new TextDecoder("ascii");
const MODULE_LINE =
  /^(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|copy_reg|copyreg|__builtin__|builtins|numpy|collections|_codecs)$/;
const NAME_LINE = /^[A-Za-z_]\w*$/;

/**
 * Whether the bytes start like a pickle of protocol 0 or 1 (no `PROTO` opcode): a `GLOBAL` whose two lines
 * are a module path and a name (an instance or `copy_reg._reconstructor`), or a `MARK`/`EMPTY_DICT`/
 * `EMPTY_LIST` followed by an opcode that starts a container's contents or memoizes it.
 */
function isOldPickle(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  if (b[0] === 0x63) {
    const head = ascii.decode(b.subarray(1, Math.min(b.length, 512))).split("\n");
    return head.length >= 3 && MODULE_LINE.test(head[0]) && NAME_LINE.test(head[1]);
  }
  // `(d` `(l` `(c` `((` `(t`… after MARK; `}q` `}p` `}(` `]q` `]p` `](` after an empty dict or list.
  if (b[0] === 0x28) return "dlct(SVXIN".includes(String.fromCharCode(b[1])) && b[1] !== 0;
  if (b[0] === 0x7d || b[0] === 0x5d) return "qpr(".includes(String.fromCharCode(b[1])) && b[1] !== 0;
  return false;
}
