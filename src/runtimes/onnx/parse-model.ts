/**
 * @module What onnxruntime does not expose about an ONNX file, read from its protobuf: producer,
 * doc string, `metadata_props`, and classifier facts (class labels of ZipMap and ML classifier nodes);
 * and the rewrite that drops a final ZipMap so its probability tensor can be returned.
 * Ref: onnx/onnx.proto (ModelProto 1 ir_version, 2 producer_name, 3 producer_version, 6 doc_string,
 * 7 graph, 14 metadata_props; GraphProto 1 node, 12 output; NodeProto 1 input, 2 output, 4 op_type,
 * 5 attribute; AttributeProto 1 name, 7 ints, 8 strings).
 */

import {
  decodeFields,
  encodeFields,
  type Field,
  int,
  message,
  ProtobufError,
  str,
  text,
} from "../../formats/protobuf/wire.ts";

/** A ZipMap node found at the end of a classifier graph. */
export interface ZipMapInfo {
  /** The probability tensor ZipMap consumes. */
  readonly input: string;
  /** The graph output it produces. */
  readonly output: string;
  readonly classes: readonly (number | string)[];
}

/** Facts read from the file. */
export interface OnnxFileInfo {
  readonly irVersion: number;
  readonly producer: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly zipmaps: readonly ZipMapInfo[];
  /** Class labels of an ML classifier node (`classlabels_ints` / `classlabels_strings`), if any. */
  readonly classes?: readonly (number | string)[];
  /** The graph's nodes in order (op, inputs, outputs, and class labels of `*Classifier` nodes). */
  readonly nodes: readonly GraphNode[];
  /** Small int64/int32/string constants (initializers and `Constant` nodes) by name: candidate class-label tables. */
  readonly labelTables: ReadonlyMap<string, readonly (number | string)[]>;
}

/** One node of the graph, as far as tracing a classifier's outputs needs. */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** `classlabels_*` of an ML classifier node. */
  readonly labels?: readonly (number | string)[];
}

/** Tables larger than this are data, not class labels, and are not decoded. */
const MAX_LABEL_TABLE = 100_000;

function packedVarints(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let pos = 0;
  while (pos < b.length) {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= b.length) throw new ProtobufError("truncated packed varint");
      const byte = b[pos++];
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(v);
  }
  return out;
}

/**
 * The values of a 1-D int64/int32/string TensorProto (1 dims, 2 data_type, 5 int32_data, 6 string_data,
 * 7 int64_data, 8 name, 9 raw_data), or undefined for other tensors.
 */
function labelTable(tensor: Field[]): (number | string)[] | undefined {
  const dims = tensor
    .filter((f) => f.no === 1)
    .flatMap((f) => (f.wire === 0 ? [f.int!] : packedVarints(f.bytes!)));
  if (dims.length > 1 || (dims.length === 1 && dims[0] > BigInt(MAX_LABEL_TABLE))) return undefined;
  const type = Number(tensor.find((f) => f.no === 2)?.int ?? 0n);
  const raw = tensor.find((f) => f.no === 9)?.bytes;
  if (type === 8) return tensor.filter((f) => f.no === 6).map((f) => str(f));
  if (type !== 7 && type !== 6) return undefined;
  if (raw) {
    const size = type === 7 ? 8 : 4;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: Math.floor(raw.byteLength / size) }, (_, i) =>
      size === 8 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true),
    );
  }
  const field = type === 7 ? 7 : 5;
  return tensor
    .filter((f) => f.no === field)
    .flatMap((f) => (f.wire === 0 ? [f.int!] : packedVarints(f.bytes!)))
    .map((v) => Number(BigInt.asIntN(64, v)));
}

export { ProtobufError };

function attributes(node: Field[]): Map<string, Field[]> {
  const out = new Map<string, Field[]>();
  for (const f of node)
    if (f.no === 5 && f.bytes) {
      const a = decodeFields(f.bytes);
      out.set(str(a.find((x) => x.no === 1)), a);
    }
  return out;
}

function labelsOf(attrs: Map<string, Field[]>): (number | string)[] | undefined {
  const ints = attrs.get("classlabels_int64s") ?? attrs.get("classlabels_ints");
  if (ints) {
    const out: number[] = [];
    for (const f of ints) {
      if (f.no !== 8) continue;
      if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.int!)));
      else if (f.bytes) for (const v of packedVarints(f.bytes)) out.push(Number(BigInt.asIntN(64, v)));
    }
    return out;
  }
  const strs = attrs.get("classlabels_strings");
  if (strs) return strs.filter((f) => f.no === 9).map((f) => str(f));
  return undefined;
}

/** Reads the file's metadata and classifier facts. */
export function readOnnxFile(bytes: Uint8Array): OnnxFileInfo {
  const model = decodeFields(bytes);
  const graphField = model.find((f) => f.no === 7);
  if (!graphField?.bytes) throw new ProtobufError("the model has no graph");
  const graph = decodeFields(graphField.bytes);
  const metadata: Record<string, string> = Object.create(null);
  for (const f of model) {
    if (f.no !== 14 || !f.bytes) continue;
    const kv = decodeFields(f.bytes);
    metadata[str(kv.find((x) => x.no === 1))] = str(kv.find((x) => x.no === 2));
  }
  const zipmaps: ZipMapInfo[] = [];
  let classes: (number | string)[] | undefined;
  const nodes: GraphNode[] = [];
  const labelTables = new Map<string, (number | string)[]>();
  for (const f of graph) {
    if (f.no !== 5 || !f.bytes) continue;
    const t = decodeFields(f.bytes);
    const values = labelTable(t);
    if (values) labelTables.set(str(t.find((x) => x.no === 8)), values);
  }
  for (const f of graph) {
    if (f.no !== 1 || !f.bytes) continue;
    const node = decodeFields(f.bytes);
    const op = str(node.find((x) => x.no === 4));
    const attrs = attributes(node);
    const outputs = node.filter((x) => x.no === 2).map((x) => str(x));
    const labels = /Classifier$/.test(op) ? labelsOf(attrs) : undefined;
    nodes.push({ op, inputs: node.filter((x) => x.no === 1).map((x) => str(x)), outputs, labels });
    if (op === "Constant" && outputs.length === 1) {
      const t = attrs.get("value")?.find((x) => x.no === 5)?.bytes;
      const values = t ? labelTable(decodeFields(t)) : undefined;
      if (values) labelTables.set(outputs[0], values);
    }
    if (op === "ZipMap") {
      zipmaps.push({
        input: str(node.find((x) => x.no === 1)),
        output: str(node.find((x) => x.no === 2)),
        classes: labelsOf(attrs) ?? [],
      });
    } else if (/Classifier$/.test(op)) {
      classes ??= labelsOf(attrs);
    }
  }
  return {
    irVersion: Number(model.find((f) => f.no === 1)?.int ?? 0n),
    producer: str(model.find((f) => f.no === 2)),
    producerVersion: str(model.find((f) => f.no === 3)),
    docString: str(model.find((f) => f.no === 6)),
    metadata,
    zipmaps,
    classes,
    nodes,
    labelTables,
  };
}

/**
 * Drops ZipMap nodes and exposes their input tensors as graph outputs instead (float32 `[N, classes]`),
 * since onnxruntime-node cannot return a sequence of maps.
 */
export function removeZipMaps(bytes: Uint8Array, zipmaps: readonly ZipMapInfo[]): Uint8Array {
  if (zipmaps.length === 0) return bytes;
  const model = decodeFields(bytes);
  const gi = model.findIndex((f) => f.no === 7);
  const graph = decodeFields(model[gi].bytes!);
  const dropOutputs = new Set(zipmaps.map((z) => z.output));
  const newGraph: Field[] = [];
  for (const f of graph) {
    if (f.no === 1 && f.bytes && str(decodeFields(f.bytes).find((x) => x.no === 4)) === "ZipMap") continue;
    if (f.no === 12 && f.bytes && dropOutputs.has(str(decodeFields(f.bytes).find((x) => x.no === 1)))) {
      const z = zipmaps.find((m) => m.output === str(decodeFields(f.bytes!).find((x) => x.no === 1)))!;
      // ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type: FLOAT, shape: [N, classes]}}}
      const shape = message(2, [message(1, [text(2, "N")]), message(1, [int(1, z.classes.length)])]);
      newGraph.push(message(12, [text(1, z.input), message(2, [message(1, [int(1, 1), shape])])]));
      continue;
    }
    newGraph.push(f);
  }
  const out = [...model];
  out[gi] = message(7, newGraph);
  return encodeFields(out);
}
