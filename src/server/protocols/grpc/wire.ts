/**
 * @module gRPC message ↔ V2 tensors: `ModelInferRequest` inputs from typed `contents` or from
 * `raw_input_contents` (one little-endian buffer per input, in input order), and output tensors to
 * typed contents or to `raw_output_contents` (raw when the request came raw, as Triton answers).
 */

import { Errors } from "../../../errors.ts";
import type { OutputTensor } from "../v2/codec.ts";
import {
  CONTENTS_FIELD,
  type InputTensor,
  type TensorValue,
  tensorFromContents,
  tensorFromRaw,
} from "../v2/tensor.ts";

/** A decoded `ModelInferRequest` as proto-loader hands it over (snake_case, defaults filled). */
export interface GrpcInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
    readonly contents?: Readonly<Record<string, unknown>> | null;
  }[];
  readonly outputs: readonly { readonly name: string }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

/** Decodes the request's tensors; `raw` tells whether they came as raw contents. */
export function decodeTensors(req: GrpcInferRequest): { inputs: InputTensor[]; raw: boolean } {
  const raw = req.raw_input_contents.length > 0;
  if (raw && req.raw_input_contents.length !== req.inputs.length)
    throw Errors.invalidInferRequest(
      `raw_input_contents holds ${req.raw_input_contents.length} buffers for ${req.inputs.length} inputs; send one per input or none`,
    );
  const inputs = req.inputs.map((t, i) => {
    const name = t.name || `inputs[${i}]`;
    if (raw) {
      const hasTyped = Object.values(t.contents ?? {}).some((v) => Array.isArray(v) && v.length > 0);
      if (hasTyped)
        throw Errors.invalidTensor(
          name,
          "send the data either in contents or in raw_input_contents, not both",
        );
      return tensorFromRaw(name, t.datatype, t.shape, req.raw_input_contents[i]);
    }
    return tensorFromContents(name, t.datatype, t.shape, t.contents);
  });
  return { inputs, raw };
}

const encoder = new TextEncoder();

/** Raw little-endian bytes of an output tensor. */
function rawOf(t: OutputTensor): Buffer {
  const n = t.data.length;
  switch (t.datatype) {
    case "BYTES": {
      // Labels repeat: each distinct value is encoded once; the few bytes of each are copied by hand
      // (a typed-array copy costs more than a short label).
      const seen = new Map<TensorValue, Uint8Array>();
      const parts = new Array<Uint8Array>(n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const v = t.data[i];
        let b = seen.get(v);
        if (b === undefined) {
          b = encoder.encode(String(v));
          seen.set(v, b);
        }
        parts[i] = b;
        size += 4 + b.length;
      }
      const out = Buffer.allocUnsafe(size);
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const p = parts[i];
        const len = p.length;
        out[pos] = len & 0xff;
        out[pos + 1] = (len >>> 8) & 0xff;
        out[pos + 2] = (len >>> 16) & 0xff;
        out[pos + 3] = len >>> 24;
        pos += 4;
        if (len <= 32) for (let k = 0; k < len; k++) out[pos + k] = p[k];
        else out.set(p, pos);
        pos += len;
      }
      return out;
    }
    case "BOOL":
      return Buffer.from(Uint8Array.from(t.data, (v) => (v ? 1 : 0)));
    case "INT64": {
      // Two 32-bit words per element (no BigInt per value): labels and counts are safe integers.
      const words = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const v = Number(t.data[i] ?? 0);
        const high = Math.floor(v / 2 ** 32);
        words[2 * i] = v - high * 2 ** 32;
        words[2 * i + 1] = high;
      }
      return Buffer.from(words.buffer);
    }
    case "INT32":
      return Buffer.from(Int32Array.from(t.data, (v) => Number(v)).buffer);
    case "FP32":
      return Buffer.from(Float32Array.from(t.data, (v) => (v === null ? Number.NaN : Number(v))).buffer);
    default: {
      // FP64 and anything wider: missing values are NaN in binary form.
      if (t.data instanceof Float64Array)
        return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = t.data[i];
        a[i] = v === null ? Number.NaN : Number(v);
      }
      return Buffer.from(a.buffer);
    }
  }
}

/** Typed contents of an output tensor. */
function contentsOf(t: OutputTensor): Record<string, unknown[]> {
  const field = CONTENTS_FIELD[t.datatype] ?? "fp64_contents";
  const values = Array.from(t.data, (v) => {
    if (t.datatype === "BYTES") return Buffer.from(String(v), "utf8");
    if (t.datatype === "BOOL") return Boolean(v);
    return v === null ? Number.NaN : Number(v);
  });
  return { [field]: values };
}

/** Encodes output tensors as the response's `outputs` (and `raw_output_contents` when `raw`). */
export function encodeOutputs(
  outputs: readonly OutputTensor[],
  raw: boolean,
): { outputs: unknown[]; raw_output_contents: Buffer[] } {
  // FP16 outputs do not occur (no runtime produces them); INT8/16 and UINT types travel widened.
  const norm = outputs.map((t) =>
    ["INT8", "INT16", "UINT8", "UINT16", "UINT32", "UINT64", "FP16"].includes(t.datatype)
      ? { ...t, datatype: t.datatype === "FP16" ? ("FP32" as const) : ("INT64" as const) }
      : t,
  );
  if (raw)
    return {
      outputs: norm.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      raw_output_contents: norm.map(rawOf),
    };
  return {
    outputs: norm.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      contents: contentsOf(t),
    })),
    raw_output_contents: [],
  };
}
