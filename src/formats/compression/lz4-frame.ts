/**
 * @module Checks an LZ4 frame before and after the pure-JS block decoder runs. The decoder (lz4js)
 * trusts its input: it reads past the end of a block, allocates whatever a content-size field claims
 * and checks no checksum, so a truncated or forged `.lz4` joblib file would give a silently wrong
 * stream or a multi-gigabyte allocation. This walks the frame with bounds, caps the output at what
 * its blocks can hold, and verifies the header and content checksums when the frame carries them.
 * Ref: LZ4 Frame Format Description v1.6.x (lz4 project, `doc/lz4_Frame_format.md`).
 */

/** The parts of lz4js used here (its frame decoder and its xxHash32). */
export interface Lz4Codec {
  decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
/** `xxh32(seed, bytes, start, length)` as lz4js exports it. */
export type Xxh32 = (seed: number, src: Uint8Array, start: number, length: number) => number;

const MAGIC = 0x184d2204;
/** Maximum block sizes by the BD byte's 3-bit code. */
const BLOCK_MAX: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/** Decodes one LZ4 frame, or throws an `Error` saying what is wrong with it. */
export function decodeLz4Frame(bytes: Uint8Array, codec: Lz4Codec, xxh32: Xxh32): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at + n > bytes.byteLength) throw new Error(`truncated LZ4 frame: ${what} runs past the end`);
  };
  need(0, 7, "the frame header");
  if (view.getUint32(0, true) !== MAGIC) throw new Error("not an LZ4 frame");
  const flg = bytes[4];
  const bd = bytes[5];
  if (flg >> 6 !== 1) throw new Error(`unsupported LZ4 frame version ${flg >> 6}`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw new Error("reserved bits set in the LZ4 frame header");
  if ((flg & 0x01) !== 0) throw new Error("LZ4 frames with a dictionary id are not supported");
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const blockMax = BLOCK_MAX[(bd >> 4) & 7];
  if (blockMax === undefined) throw new Error(`invalid LZ4 block size code ${(bd >> 4) & 7}`);
  let pos = 6;
  let declared: bigint | undefined;
  if (contentSize) {
    need(pos, 9, "the content size");
    declared = view.getBigUint64(pos, true);
    pos += 8;
  }
  // Header checksum: second byte of xxh32 over the descriptor (FLG up to, not including, HC).
  if (((xxh32(0, bytes, 4, pos - 4) >>> 8) & 0xff) !== bytes[pos])
    throw new Error("LZ4 frame header checksum mismatch");
  pos++;
  let bound = 0;
  for (;;) {
    need(pos, 4, "a block size");
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw new Error(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`);
    need(pos, size + (blockChecksum ? 4 : 0), "a block");
    pos += size + (blockChecksum ? 4 : 0);
    bound += (word & 0x80000000) !== 0 ? size : blockMax;
  }
  if (contentChecksum) need(pos, 4, "the content checksum");
  const end = pos + (contentChecksum ? 4 : 0);
  if (end !== bytes.byteLength) throw new Error(`${bytes.byteLength - end} bytes after the LZ4 frame`);
  if (declared !== undefined && declared > BigInt(bound))
    throw new Error(`LZ4 content size ${declared} is more than its blocks can hold`);
  const out = codec.decompress(bytes, declared !== undefined ? Number(declared) : bound);
  if (declared !== undefined && BigInt(out.byteLength) !== declared)
    throw new Error(`LZ4 content is ${out.byteLength} bytes, the frame says ${declared}`);
  if (contentChecksum && xxh32(0, out, 0, out.byteLength) >>> 0 !== view.getUint32(pos, true))
    throw new Error("LZ4 content checksum mismatch");
  return out;
}
