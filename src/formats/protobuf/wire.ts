/**
 * @module The protobuf wire format, just enough to read ONNX metadata and rewrite a graph: fields as
 * (number, wire type, raw bytes) records that can be decoded, filtered and re-encoded losslessly.
 * Ref: protobuf encoding guide (varint, 64-bit, length-delimited, 32-bit wire types).
 */

/** Raised for malformed protobuf bytes. */
export class ProtobufError extends Error {}

/** One field record. */
export interface Field {
  readonly no: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  readonly wire: number;
  /** Varint value (wire 0). */
  readonly int?: bigint;
  /** Payload bytes (wire 1, 2, 5). */
  readonly bytes?: Uint8Array;
}

function readVarint(b: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (let i = at; i < b.length && i < at + 10; i++) {
    // The tenth byte holds bit 63 only: anything more would not fit in 64 bits.
    if (i === at + 9 && b[i] > 1) break;
    v |= BigInt(b[i] & 0x7f) << shift;
    if ((b[i] & 0x80) === 0) return [v, i + 1];
    shift += 7n;
  }
  throw new ProtobufError(`bad varint at byte ${at}`);
}

/** Splits a message into its field records, in order. */
export function decodeFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [key, next] = readVarint(b, pos);
    pos = next;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (no === 0) throw new ProtobufError(`field number 0 at byte ${pos}`);
    switch (wire) {
      case 0: {
        const [v, n] = readVarint(b, pos);
        pos = n;
        out.push({ no, wire, int: v });
        break;
      }
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (pos + size > b.length) throw new ProtobufError("truncated fixed-width field");
        out.push({ no, wire, bytes: b.subarray(pos, pos + size) });
        pos += size;
        break;
      }
      case 2: {
        const [len, n] = readVarint(b, pos);
        const end = n + Number(len);
        if (end > b.length || len < 0n)
          throw new ProtobufError(`field ${no} runs past the end of its message`);
        out.push({ no, wire, bytes: b.subarray(n, end) });
        pos = end;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} for field ${no}`);
    }
  }
  return out;
}

function varint(v: bigint | number): number[] {
  // Negative int32/int64 values go on the wire as their 64-bit two's complement (ten bytes).
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) byte |= 0x80;
    out.push(byte);
  } while (x > 0n);
  return out;
}

/** Encodes field records back into a message. */
export function encodeFields(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const f of fields) {
    const head = varint((BigInt(f.no) << 3n) | BigInt(f.wire));
    let body: Uint8Array;
    if (f.wire === 0) body = Uint8Array.from(varint(f.int ?? 0n));
    else if (f.wire === 2) body = Uint8Array.from([...varint(f.bytes!.length), ...f.bytes!]);
    else body = f.bytes!;
    const chunk = new Uint8Array(head.length + body.length);
    chunk.set(head);
    chunk.set(body, head.length);
    parts.push(chunk);
    size += chunk.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A length-delimited field holding a message. */
export const message = (no: number, fields: readonly Field[]): Field => ({
  no,
  wire: 2,
  bytes: encodeFields(fields),
});
/** A length-delimited field holding a UTF-8 string. */
export const text = (no: number, s: string): Field => ({ no, wire: 2, bytes: new TextEncoder().encode(s) });
/** A varint field. */
export const int = (no: number, v: number | bigint): Field => ({ no, wire: 0, int: BigInt(v) });

const utf8 = new TextDecoder();

/** The string value of a field. */
export const str = (f: Field | undefined): string => (f?.bytes ? utf8.decode(f.bytes) : "");
