/**
 * @module The `onnx` runtime: ONNX models through onnxruntime-node (an optional dependency), with the
 * schema taken from the session and the file's metadata, classifier outputs mapped to labels and
 * probabilities (ZipMap outputs rewritten into tensors), and inference in a worker thread by default.
 */

import { Errors, isModelServeError } from "../../errors.ts";
import { lastTable } from "../common/last-table.ts";
import { runtimeOf } from "../descriptor.ts";
import type {
  FeatureSpec,
  FeatureTable,
  Label,
  Matrix,
  PredictOutput,
  Runtime,
  RuntimeModel,
} from "../runtime.ts";
import { checkClassLists, checkInputWidths } from "./checks.ts";
import { classifierOutputs } from "./classifier-outputs.ts";
import { onnxDescriptor } from "./descriptor.ts";
import { type OnnxFileInfo, ProtobufError, readOnnxFile, removeZipMaps } from "./parse-model.ts";
import {
  inlineHost,
  type OrtModule,
  type OrtValueMetadata,
  type SessionHost,
  type WireTensor,
  workerHost,
} from "./session-host.ts";

/** How the runtime imports onnxruntime-node (replaceable in tests). */
export let importOrt: () => Promise<OrtModule> = async () =>
  (await import("onnxruntime-node")) as unknown as OrtModule;

/** Replaces the importer (tests simulate a missing package). */
export function setOrtImporter(fn: () => Promise<OrtModule>): void {
  importOrt = fn;
}

const NUMERIC: Readonly<Record<string, "float" | "int" | "bool">> = {
  float32: "float",
  float64: "float",
  float16: "float",
  int64: "int",
  int32: "int",
  int16: "int",
  int8: "int",
  uint8: "int",
  uint16: "int",
  uint32: "int",
  uint64: "int",
  bool: "bool",
};

/** How one ONNX input is filled from the table. */
interface InputPlan {
  readonly name: string;
  readonly type: string;
  /** Feature indices in the table, in order (a tabular `[N, F]` input spans F features). */
  readonly features: readonly number[];
  /** Per-row shape after the batch axis. */
  readonly rowShape: readonly number[];
  readonly tensor: boolean;
}

function featureNamesFromMetadata(meta: Readonly<Record<string, string>>, n: number): string[] | undefined {
  for (const key of ["feature_names", "input_features", "features", "columns"]) {
    const v = meta[key];
    if (!v) continue;
    let names: unknown;
    try {
      names = JSON.parse(v);
    } catch {
      names = v.split(",").map((s) => s.trim());
    }
    if (Array.isArray(names) && names.length === n && names.every((x) => typeof x === "string" && x !== ""))
      return names as string[];
  }
  return undefined;
}

function typedArray(
  type: string,
  n: number,
): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | string[] {
  switch (type) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
    case "uint8":
      return new Uint8Array(n);
    case "string":
      return new Array<string>(n).fill("");
    default:
      throw new Error(`input type ${type}`);
  }
}

function toNumbers(data: WireTensor["data"]): number[] {
  if (Array.isArray(data)) return data.map(Number);
  const view = data as ArrayBufferView & ArrayLike<number | bigint>;
  return Array.from(view, (v) => Number(v));
}

/** Builds the signature and the feed plan from session metadata and file facts. */
function plan(
  inputs: readonly OrtValueMetadata[],
  info: OnnxFileInfo,
  fileName: string,
): { specs: FeatureSpec[]; plans: InputPlan[] } {
  const specs: FeatureSpec[] = [];
  const plans: InputPlan[] = [];
  const dims = (m: OrtValueMetadata) => (m.shape ?? []).map((d) => (typeof d === "number" && d > 0 ? d : -1));
  if (inputs.length === 1) {
    const m = inputs[0];
    const shape = dims(m);
    if (m.isTensor && shape.length === 2 && shape[1] > 0 && m.type && m.type !== "string") {
      const n = shape[1];
      const names =
        featureNamesFromMetadata(info.metadata, n) ?? Array.from({ length: n }, (_, i) => `x${i}`);
      for (const name of names) specs.push({ name, dtype: NUMERIC[m.type!] ?? "float", nullable: false });
      plans.push({
        name: m.name,
        type: m.type,
        features: names.map((_, i) => i),
        rowShape: [n],
        tensor: false,
      });
      return { specs, plans };
    }
  }
  for (const m of inputs) {
    if (!m.isTensor || !m.type) throw Errors.unsupportedModel(fileName, `input ${m.name} is not a tensor`);
    const shape = dims(m).slice(1);
    const idx = specs.length;
    if (shape.length === 0 || (shape.length === 1 && shape[0] === 1)) {
      specs.push({
        name: m.name,
        dtype: m.type === "string" ? "string" : (NUMERIC[m.type] ?? "float"),
        nullable: false,
      });
      plans.push({ name: m.name, type: m.type, features: [idx], rowShape: shape, tensor: false });
    } else {
      if (shape.some((d) => d < 0))
        throw Errors.unsupportedModel(
          fileName,
          `input ${m.name} has free dimensions inside a row [${shape.join(", ")}]`,
        );
      if (m.type === "string") throw Errors.unsupportedModel(fileName, `string tensor input ${m.name}`);
      specs.push({ name: m.name, dtype: "tensor", shape, nullable: false });
      plans.push({ name: m.name, type: m.type, features: [idx], rowShape: shape, tensor: true });
    }
  }
  return { specs, plans };
}

function feedsOf(plans: readonly InputPlan[], t: FeatureTable): Record<string, WireTensor> {
  const width = t.columns.length;
  const feeds: Record<string, WireTensor> = {};
  for (const p of plans) {
    const per = p.rowShape.reduce((a, b) => a * b, 1);
    const out = typedArray(p.type, t.rows * per);
    if (p.tensor) {
      const src = t.tensors[p.features[0]]!.data;
      for (let i = 0; i < src.length; i++) (out as Float32Array)[i] = src[i];
    } else if (Array.isArray(out)) {
      const col = t.strings[p.features[0]] ?? [];
      for (let r = 0; r < t.rows; r++) out[r] = col[r] ?? "";
    } else {
      for (let r = 0; r < t.rows; r++) {
        for (let k = 0; k < p.features.length; k++) {
          const v = t.numeric[r * width + p.features[k]];
          if (out instanceof BigInt64Array) out[r * p.features.length + k] = BigInt(Math.trunc(v));
          else out[r * p.features.length + k] = v;
        }
      }
    }
    feeds[p.name] = { type: p.type, dims: [t.rows, ...p.rowShape], data: out };
  }
  return feeds;
}

/** Loads an ONNX model. */
async function loadOnnx(
  bytes: Uint8Array,
  fileName: string,
  settings: Readonly<Record<string, unknown>> = {},
): Promise<RuntimeModel> {
  let ort: OrtModule;
  try {
    ort = await importOrt();
  } catch {
    throw Errors.runtimeDependencyMissing("onnx", "onnxruntime-node");
  }
  let info: OnnxFileInfo;
  try {
    info = readOnnxFile(bytes);
  } catch (err) {
    throw Errors.invalidModel(fileName, `not a readable ONNX model: ${(err as Error).message}`);
  }
  // onnxruntime takes only unshared buffers (a file handed over in shared memory is copied).
  const own = bytes.buffer instanceof SharedArrayBuffer ? new Uint8Array(bytes) : bytes;
  const rewritten = removeZipMaps(own, info.zipmaps);
  let session: Awaited<ReturnType<OrtModule["InferenceSession"]["create"]>>;
  try {
    session = await ort.InferenceSession.create(rewritten);
  } catch (err) {
    throw Errors.invalidModel(fileName, `onnxruntime cannot load it: ${(err as Error).message}`);
  }
  checkInputWidths(session.inputMetadata, bytes.byteLength, fileName);
  const { specs, plans } = plan(session.inputMetadata, info, fileName);
  const outputs = session.outputMetadata;
  const names = outputs.map((o) => o.name);
  const pair = classifierOutputs(outputs, info);
  const classifier = pair !== undefined;
  const labelOut = pair?.label;
  const probaOut = pair?.probabilities;
  const classes = pair?.classes;
  if (classifier)
    checkClassLists(
      info,
      outputs.find((o) => o.name === probaOut),
      fileName,
    );
  const regressor =
    !classifier && outputs.length === 1 && outputs[0].isTensor && outputs[0].type !== "string";
  const fetch = classifier ? [labelOut!, probaOut!] : names;
  const inference = settings.inference === "inline" ? "inline" : "worker";
  let host: SessionHost;
  if (inference === "inline") host = inlineHost(ort, session);
  else {
    await session.release();
    try {
      host = await workerHost(rewritten);
    } catch (err) {
      throw Errors.invalidModel(fileName, `the ONNX worker failed: ${(err as Error).message}`);
    }
  }
  // Labels and probabilities of one request come from one session run.
  const run = lastTable(async (t: FeatureTable) => {
    try {
      return await host.run(feedsOf(plans, t), fetch);
    } catch (err) {
      throw Errors.inferenceFailed(fileName, "-", (err as Error).message);
    }
  });
  const proba = async (t: FeatureTable): Promise<Matrix> => {
    const out = (await run(t))[probaOut!];
    const data = Float64Array.from(toNumbers(out.data));
    return { rows: t.rows, cols: data.length / t.rows, data };
  };
  return {
    signature: {
      inputs: specs,
      output: classifier
        ? {
            task: "classification",
            classes,
            probabilityType: pair.probabilityType === "float64" ? "float64" : "float32",
          }
        : regressor
          ? { task: "regression", targets: Math.max(1, Number(outputs[0].shape?.[1] ?? 1) || 1) }
          : {
              task: "other",
              tensors: outputs.map((o) => ({
                name: o.name,
                type: o.type ?? "non-tensor",
                shape: o.shape ?? [],
              })),
            },
      capabilities: {
        predict: true,
        predictProba: classifier,
        decisionFunction: false,
        transform: false,
        rawScore: false,
      },
    },
    details: {
      format: "onnx",
      framework: info.producer || "onnx",
      ...(info.producerVersion ? { frameworkVersion: info.producerVersion } : {}),
      modelType: classifier ? "classifier" : regressor ? "regressor" : "graph",
      metadata: {
        irVersion: info.irVersion,
        docString: info.docString || undefined,
        metadataProps: info.metadata,
        inference,
        zipMapRewritten: info.zipmaps.length > 0,
      },
    },
    async predict(t): Promise<PredictOutput> {
      const res = await run(t);
      if (classifier) {
        const l = res[labelOut!].data;
        const labels: Label[] = Array.isArray(l) ? [...l] : toNumbers(l);
        return { kind: "labels", labels };
      }
      if (regressor) {
        const data = Float64Array.from(toNumbers(res[names[0]].data));
        return { kind: "values", values: { rows: t.rows, cols: data.length / t.rows, data } };
      }
      const tensors: Record<string, { shape: number[]; data: (number | string | boolean)[] }> = {};
      for (const [k, v] of Object.entries(res))
        tensors[k] = { shape: [...v.dims], data: Array.isArray(v.data) ? [...v.data] : toNumbers(v.data) };
      return { kind: "tensors", tensors };
    },
    predictProba: classifier ? proba : undefined,
    close: () => host.close(),
  };
}

/** The ONNX runtime. */
export const onnxRuntime: Runtime = /* @__PURE__ */ runtimeOf(onnxDescriptor, async (source, options) => {
  if (source.bytes.byteLength === 0) throw Errors.invalidModel(source.fileName, "the file is empty");
  try {
    return await loadOnnx(source.bytes, source.fileName, options?.settings);
  } catch (err) {
    if (isModelServeError(err)) throw err;
    if (err instanceof ProtobufError) throw Errors.invalidModel(source.fileName, err.message);
    throw Errors.invalidModel(source.fileName, (err as Error).message);
  }
});
