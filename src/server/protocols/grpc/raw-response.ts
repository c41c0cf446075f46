/**
 * @module A direct protobuf encoder for `ModelInferResponse` answers that carry raw output contents.
 * The generic (reflection) encoder copies `bytes` fields byte by byte, which cost about a millisecond
 * per 1000-row answer; this one writes the few fields such an answer has with whole-buffer copies.
 * Field numbers follow the vendored open_inference_grpc.proto.
 */

/** A raw-contents answer, as the service builds it. */
export interface RawInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
  }[];
  readonly raw_output_contents: readonly Uint8Array[];
}

const varintSize = (v: number): number => {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};

class Out {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

const utf8 = (s: string) => Buffer.from(s, "utf8");

/** Size of a length-delimited field of `len` bytes (field numbers below 16). */
const fieldSize = (len: number) => 1 + varintSize(len) + len;

/** Encodes the answer; the bytes equal what the reflection encoder writes (fields in number order). */
export function encodeRawInferResponse(r: RawInferResponse): Buffer {
  const head = [utf8(r.model_name), utf8(r.model_version), utf8(r.id)];
  const tensors = r.outputs.map((o) => {
    const name = utf8(o.name);
    const datatype = utf8(o.datatype);
    const dims = o.shape.reduce((s, d) => s + varintSize(d), 0);
    const size =
      fieldSize(name.length) + fieldSize(datatype.length) + (o.shape.length > 0 ? fieldSize(dims) : 0);
    return { name, datatype, dims, size, shape: o.shape };
  });
  let size = 0;
  for (const h of head) if (h.length > 0) size += fieldSize(h.length);
  for (const t of tensors) size += fieldSize(t.size);
  for (const b of r.raw_output_contents) size += fieldSize(b.length);
  const out = new Out(size);
  head.forEach((h, i) => {
    // proto3: empty strings are not written.
    if (h.length > 0) out.bytes(i + 1, h);
  });
  for (const t of tensors) {
    out.tag(5, 2);
    out.varint(t.size);
    out.bytes(1, t.name);
    out.bytes(2, t.datatype);
    if (t.shape.length > 0) {
      out.tag(3, 2);
      out.varint(t.dims);
      for (const d of t.shape) out.varint(d);
    }
  }
  for (const b of r.raw_output_contents) out.bytes(6, b);
  return out.buf;
}
