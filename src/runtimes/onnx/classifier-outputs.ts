/**
 * @module Which outputs of an ONNX graph are a classifier's label and probabilities, and what its class
 * labels are, whatever the exporter named them: converters called with `zipmap=False` (skl2onnx,
 * onnxmltools) or hand-built graphs name the pair freely, and an MLP's labels sit in an initializer read by
 * `ArrayFeatureExtractor` rather than on a `*Classifier` node.
 */

import type { Label } from "../runtime.ts";
import type { GraphNode, OnnxFileInfo } from "./parse-model.ts";
import type { OrtValueMetadata } from "./session-host.ts";

/** A recognised classifier: the two outputs to fetch and the labels of the probability columns. */
export interface ClassifierOutputs {
  readonly label: string;
  readonly probabilities: string;
  readonly classes: readonly Label[];
  /** Element type of the probabilities (`float32` or `float64`). */
  readonly probabilityType: string;
}

const LABEL_NAMES = new Set(["label", "output_label"]);
const PROBA_NAMES = new Set(["probabilities", "output_probability"]);
const LABEL_TYPES = new Set(["int64", "int32", "string"]);
const FLOAT_TYPES = new Set(["float32", "float64"]);
/** Ops that pass a label tensor through unchanged in value (shape or type only). */
const PASS_THROUGH = new Set(["Identity", "Reshape", "Cast", "Squeeze", "Flatten", "Unsqueeze", "CastLike"]);

function rank1(m: OrtValueMetadata): boolean {
  const s = m.shape ?? [];
  return s.length === 1 || (s.length === 2 && s[1] === 1);
}

/**
 * The class labels behind a label output: follow it back through shape/type-only ops to a `*Classifier`
 * node (its `classlabels_*`) or to an `ArrayFeatureExtractor` over a constant table (the MLP layout).
 */
function labelsBehind(output: string, info: OnnxFileInfo): readonly Label[] | undefined {
  const producer = new Map<string, GraphNode>();
  for (const n of info.nodes) for (const o of n.outputs) producer.set(o, n);
  let name = output;
  for (let hops = 0; hops < 32; hops++) {
    const n = producer.get(name);
    if (!n) return undefined;
    if (n.labels && n.outputs[0] === name) return n.labels;
    if (n.op === "ArrayFeatureExtractor") return info.labelTables.get(n.inputs[0]);
    if (!PASS_THROUGH.has(n.op)) return undefined;
    name = n.inputs[0];
  }
  return undefined;
}

/**
 * Finds the label/probabilities pair: the conventional names first, else the only integer-or-string vector
 * output and the only float matrix output. The labels come from a ZipMap, the graph behind the label
 * output, or a classifier node; their count must match the probability columns when those are known.
 */
export function classifierOutputs(
  outputs: readonly OrtValueMetadata[],
  info: OnnxFileInfo,
): ClassifierOutputs | undefined {
  const tensors = outputs.filter((o) => o.isTensor);
  const labelCands = tensors.filter((o) => LABEL_TYPES.has(o.type ?? "") && rank1(o));
  const zipmap = info.zipmaps[0];
  const label =
    tensors.find((o) => LABEL_NAMES.has(o.name)) ?? (labelCands.length === 1 ? labelCands[0] : undefined);
  if (!label) return undefined;
  const probaCands = tensors.filter(
    (o) => o !== label && FLOAT_TYPES.has(o.type ?? "") && (o.shape ?? []).length === 2,
  );
  const proba = zipmap
    ? { name: zipmap.input, type: "float32", shape: undefined }
    : (tensors.find((o) => PROBA_NAMES.has(o.name)) ?? (probaCands.length === 1 ? probaCands[0] : undefined));
  if (!proba) return undefined;
  const classes = zipmap?.classes.length ? zipmap.classes : (labelsBehind(label.name, info) ?? info.classes);
  if (!classes || classes.length === 0) return undefined;
  const width = proba.shape?.[1];
  if (typeof width === "number" && width > 0 && width !== classes.length) return undefined;
  return {
    label: label.name,
    probabilities: proba.name,
    classes: [...classes],
    probabilityType: proba.type ?? "float32",
  };
}
