/**
 * @module The V2 tensor codec: request tensors → rows the model's validator checks (both tabular
 * conventions: one `[N, F]` tensor, or one `[N]`/`[N, 1]` tensor per named feature), and a
 * prediction → named output tensors (`predict`, `predict_proba`, `raw_score`, `decision_function`,
 * or an ONNX graph's own outputs). The model's signature decides everything; nothing is guessed.
 */

import { Errors } from "../../../errors.ts";
import type { InferenceResult } from "../../../inference/run.ts";
import type {
  FeatureSpec,
  FeatureTable,
  Matrix,
  ModelSignature,
  OutputTensorSpec,
} from "../../../runtimes/runtime.ts";
import type { RowValidator } from "../../../schema/validator.ts";
import type { Datatype } from "./datatypes.ts";
import type { InputTensor, TensorValue } from "./tensor.ts";

/** Request tensors as the prediction path takes them. */
export interface DecodedRows {
  /**
   * Rows for the validator. When {@link table} is there, a function that builds them only if asked
   * (the sampled audit entry): a numeric tensor goes straight into the table.
   */
  readonly rows: readonly unknown[] | (() => readonly unknown[]);
  /** The validated table, when every value passed the validator's fast path for numbers. */
  readonly table?: FeatureTable;
  /** Where the rows came from, for the validator's field paths. */
  readonly path: string;
}

/** Positional rows of an all-numeric table (NaN read back as `null`, a missing value). */
function rowsOfTable(t: FeatureTable): () => unknown[][] {
  return () => {
    const w = t.columns.length;
    return Array.from({ length: t.rows }, (_, r) =>
      Array.from(t.numeric.subarray(r * w, (r + 1) * w), (v) => (Number.isNaN(v) ? null : v)),
    );
  };
}

/** Validates numeric tensor values in place of rows (see {@link RowValidator.fromMatrix}). */
export type MatrixValidator = Pick<RowValidator, "fromMatrix">;

/** The V2 datatype a feature is declared with in model metadata. */
export function featureDatatype(spec: FeatureSpec): Datatype {
  switch (spec.dtype) {
    case "float":
    case "tensor":
      return "FP64";
    case "int":
      return "INT64";
    case "bool":
      return "BOOL";
    case "string":
      return "BYTES";
    case "category":
      return (spec.categories ?? []).some((c) => typeof c === "string") ? "BYTES" : "FP64";
  }
}

/** The value a feature receives for one tensor element: NaN means missing where the feature allows it. */
function featureValue(tensor: string, spec: FeatureSpec, v: TensorValue, i: number): TensorValue {
  if (typeof v === "number" && Number.isNaN(v)) {
    if (spec.nullable) return null;
    throw Errors.invalidTensor(
      tensor,
      `element ${i} is NaN but feature "${spec.name}" does not accept missing values`,
    );
  }
  return v;
}

/** Nests `product(shape)` flat values starting at `offset` into arrays of `shape`. */
function nest(values: ArrayLike<TensorValue>, offset: number, shape: readonly number[]): unknown {
  let pos = offset;
  const build = (axis: number): unknown => {
    if (axis === shape.length) return values[pos++];
    return Array.from({ length: shape[axis] }, () => build(axis + 1));
  };
  return build(0);
}

function rowsOf(t: InputTensor, maxRows: number): number {
  const n = t.shape[0];
  if (n === 0) throw Errors.invalidTensor(t.name, "has no rows (its first dimension is 0)");
  if (n > maxRows) throw Errors.batchTooLarge(n, maxRows);
  return n;
}

const columnsCache = new WeakMap<ModelSignature, Map<string, number>>();

/** Each input's column by name (computed once per signature). */
function columnsOf(sig: ModelSignature): Map<string, number> {
  let columns = columnsCache.get(sig);
  if (columns === undefined) {
    columns = new Map(sig.inputs.map((f, i) => [f.name, i]));
    columnsCache.set(sig, columns);
  }
  return columns;
}

/**
 * One numeric `[N]` or `[N, 1]` tensor for each feature of an all-numeric model, interleaved into a row-major
 * block for the validator's fast path; undefined when anything is unusual (the general path then
 * finds and words the problem).
 */
function perFeatureFast(
  sig: ModelSignature,
  inputs: readonly InputTensor[],
  n: number,
  fast: MatrixValidator,
): DecodedRows | undefined {
  const width = sig.inputs.length;
  if (inputs.length !== width) return undefined;
  const column = columnsOf(sig);
  const block = new Float64Array(n * width);
  const seen = new Uint8Array(width);
  for (const t of inputs) {
    const c = column.get(t.name)!;
    if (seen[c] || t.shape[0] !== n || t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1))
      return undefined;
    seen[c] = 1;
    const v = t.values;
    for (let r = 0; r < n; r++) {
      const x = v[r];
      if (typeof x !== "number") return undefined;
      block[r * width + c] = x;
    }
  }
  // The block is this request's own: the table keeps it.
  const table = fast.fromMatrix(block, true);
  return table ? { rows: rowsOfTable(table), table, path: "inputs" } : undefined;
}

/** One tensor per named feature: `[N]`, `[N, 1]`, or `[N, ...shape]` for a tensor feature. */
function perFeature(
  sig: ModelSignature,
  inputs: readonly InputTensor[],
  maxRows: number,
  fast?: MatrixValidator,
): DecodedRows {
  const specs = new Map(sig.inputs.map((f) => [f.name, f]));
  const n = rowsOf(inputs[0], maxRows);
  const quick = fast && perFeatureFast(sig, inputs, n, fast);
  if (quick) return quick;
  const rows: Record<string, unknown>[] = Array.from({ length: n }, () => ({}));
  const seen = new Set<string>();
  for (const t of inputs) {
    const spec = specs.get(t.name)!;
    if (seen.has(t.name)) throw Errors.invalidTensor(t.name, "the request holds this input twice");
    seen.add(t.name);
    if (t.shape[0] !== n)
      throw Errors.invalidTensor(
        t.name,
        `has ${t.shape[0]} rows but "${inputs[0].name}" has ${n}; every input needs the same first dimension`,
      );
    if (spec.dtype === "tensor") {
      const inner = spec.shape ?? [];
      const got = t.shape.slice(1);
      if (got.length !== inner.length || got.some((d, i) => inner[i] >= 0 && d !== inner[i]))
        throw Errors.invalidTensor(
          t.name,
          `shape [${t.shape.join(", ")}] does not fit the input's shape [-1, ${inner.join(", ")}]`,
        );
      const per = got.reduce((a, b) => a * b, 1);
      for (let r = 0; r < n; r++) rows[r][t.name] = nest(t.values, r * per, got);
      continue;
    }
    if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1))
      throw Errors.invalidTensor(
        t.name,
        `shape [${t.shape.join(", ")}]: a feature tensor is [N] or [N, 1] (one value per row)`,
      );
    for (let r = 0; r < n; r++) rows[r][t.name] = featureValue(t.name, spec, t.values[r], r);
  }
  return { rows, path: "inputs" };
}

/** One `[N, F]` tensor, columns in the signature's order. */
function matrix(sig: ModelSignature, t: InputTensor, maxRows: number, fast?: MatrixValidator): DecodedRows {
  const width = sig.inputs.length;
  if (t.shape.length !== 2 || t.shape[1] !== width)
    throw Errors.invalidTensor(
      t.name,
      `is not an input of this model; send one [N, ${width}] tensor (columns: ${sig.inputs
        .map((f) => f.name)
        .join(", ")}) or one [N] tensor per feature, named after it (got shape [${t.shape.join(", ")}])`,
    );
  const n = rowsOf(t, maxRows);
  const table = fast?.fromMatrix(t.values);
  if (table) return { rows: rowsOfTable(table), table, path: t.name };
  const rows = new Array<unknown[]>(n);
  const v = t.values;
  for (let r = 0; r < n; r++) {
    const row = new Array<unknown>(width);
    const base = r * width;
    for (let c = 0; c < width; c++) row[c] = featureValue(t.name, sig.inputs[c], v[base + c], base + c);
    rows[r] = row;
  }
  return { rows, path: t.name };
}

/**
 * Turns request tensors into rows for the model's validator. Throws `MS_INVALID_TENSOR` for an
 * input the model does not have, mismatched row counts, or NaN where no missing value is allowed,
 * and `MS_BATCH_TOO_LARGE` beyond `maxRows`.
 */
export function tensorsToRows(
  sig: ModelSignature,
  inputs: readonly InputTensor[],
  maxRows: number,
  fast?: MatrixValidator,
): DecodedRows {
  if (inputs.length === 0) throw Errors.invalidInferRequest(`"inputs" must hold at least one tensor`);
  const names = columnsOf(sig);
  for (const t of inputs) {
    if (t.shape.length === 0) throw Errors.invalidTensor(t.name, "a tensor needs a batch dimension");
  }
  if (inputs.every((t) => names.has(t.name))) return perFeature(sig, inputs, maxRows, fast);
  if (inputs.length === 1) {
    const only = sig.inputs.length === 1 ? sig.inputs[0] : undefined;
    // A model with one tensor input takes it under any name (image models are called with "input-0").
    if (only?.dtype === "tensor") return perFeature(sig, [{ ...inputs[0], name: only.name }], maxRows);
    return matrix(sig, inputs[0], maxRows, fast);
  }
  const unknown = inputs.find((t) => !names.has(t.name))!;
  throw Errors.invalidTensor(
    unknown.name,
    `is not an input of this model; inputs: ${[...names.keys()].join(", ")} (or one [N, ${names.size}] tensor)`,
  );
}

/** One output tensor, JSON-ready (REST) and typed enough for binary encoding (gRPC). */
export interface OutputTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** Flat row-major values; missing numbers are `null` or NaN (see {@link jsonData}). */
  readonly data: ArrayLike<TensorValue>;
}

const namesCache = new WeakMap<ModelSignature, string[]>();
const metadataCache = new WeakMap<ModelSignature, { name: string; datatype: Datatype; shape: number[] }[]>();

/** Output names a model offers over V2, in answer order (computed once per signature). */
export function outputNames(sig: ModelSignature): string[] {
  let names = namesCache.get(sig);
  if (names === undefined) {
    names = computeOutputNames(sig);
    namesCache.set(sig, names);
  }
  return names;
}

function computeOutputNames(sig: ModelSignature): string[] {
  if (sig.output.tensors && sig.output.task === "other") return sig.output.tensors.map((t) => t.name);
  const names = ["predict"];
  if (sig.capabilities.predictProba && (sig.output.classes || sig.output.outputClasses))
    names.push("predict_proba");
  if (sig.capabilities.rawScore) names.push("raw_score");
  if (sig.capabilities.decisionFunction) names.push("decision_function");
  return names;
}

const defaultsCache = new WeakMap<ModelSignature, readonly string[]>();

/**
 * Outputs computed when a request names none (the costlier extra scores only when asked); computed once
 * per signature.
 */
export function defaultOutputs(sig: ModelSignature): readonly string[] {
  let names = defaultsCache.get(sig);
  if (names === undefined) {
    names = outputNames(sig).filter((n) => n !== "raw_score" && n !== "decision_function");
    defaultsCache.set(sig, names);
  }
  return names;
}

/** The V2 datatype of an ONNX output element type. */
function onnxDatatype(type: string): Datatype {
  const map: Record<string, Datatype> = {
    float32: "FP32",
    float: "FP32",
    float64: "FP64",
    double: "FP64",
    float16: "FP16",
    int8: "INT8",
    int16: "INT16",
    int32: "INT32",
    int64: "INT64",
    uint8: "UINT8",
    uint16: "UINT16",
    uint32: "UINT32",
    uint64: "UINT64",
    bool: "BOOL",
    string: "BYTES",
  };
  return map[type] ?? "FP64";
}

/** Metadata of each output a model offers: datatype and shape (`-1` for the batch axis); cached per signature. */
export function outputMetadata(sig: ModelSignature): { name: string; datatype: Datatype; shape: number[] }[] {
  let meta = metadataCache.get(sig);
  if (meta === undefined) {
    meta = computeOutputMetadata(sig);
    metadataCache.set(sig, meta);
  }
  return meta;
}

function computeOutputMetadata(sig: ModelSignature): { name: string; datatype: Datatype; shape: number[] }[] {
  if (sig.output.tensors && sig.output.task === "other")
    return sig.output.tensors.map((t: OutputTensorSpec) => ({
      name: t.name,
      datatype: onnxDatatype(t.type),
      shape: t.shape.map((d) => (typeof d === "number" ? d : -1)),
    }));
  const classes = sig.output.classes;
  // A multi-output classifier's probabilities: every output's classes side by side, output after output.
  const k = classes?.length ?? sig.output.outputClasses?.reduce((n, cs) => n + cs.length, 0) ?? -1;
  return outputNames(sig).map((name) => {
    switch (name) {
      case "predict": {
        if (classes) {
          const dt: Datatype = classes.every((c) => typeof c === "boolean")
            ? "BOOL"
            : classes.every((c) => typeof c === "number")
              ? classes.every((c) => Number.isInteger(c))
                ? "INT64"
                : "FP64"
              : "BYTES";
          return { name, datatype: dt, shape: [-1] };
        }
        const t = sig.output.targets ?? 1;
        // A multi-output classifier with text labels answers them as text.
        const text = sig.output.outputClasses?.some((cs) => cs.some((c) => typeof c === "string"));
        return { name, datatype: text ? "BYTES" : "FP64", shape: t > 1 ? [-1, t] : [-1] };
      }
      case "predict_proba":
        return { name, datatype: "FP64", shape: [-1, k] };
      default:
        return { name, datatype: "FP64", shape: [-1, -1] };
    }
  });
}

function matrixTensor(name: string, m: Matrix): OutputTensor {
  // Kept binary: JSON answers turn NaN into null (jsonData), gRPC sends the doubles as they are.
  return { name, datatype: "FP64", shape: [m.rows, m.cols], data: m.data };
}

/** Tensor data as JSON values: binary floats become numbers, NaN and infinities `null`. */
export function jsonData(data: ArrayLike<TensorValue>): TensorValue[] {
  if (Array.isArray(data)) return data;
  const out = new Array<TensorValue>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = typeof v === "number" && !Number.isFinite(v) ? null : v;
  }
  return out;
}

/** The `predict` tensor from a result's JSON predictions (labels, values or rows of values). */
function predictTensor(sig: ModelSignature, predictions: readonly unknown[]): OutputTensor {
  const n = predictions.length;
  const first = predictions[0];
  if (Array.isArray(first)) {
    const cols = first.length;
    const data: TensorValue[] = [];
    for (const p of predictions) for (const x of p as TensorValue[]) data.push(x);
    // Label rows of a multi-output classifier with text labels: all as text, as numpy gives them.
    if (data.some((x) => typeof x === "string"))
      return { name: "predict", datatype: "BYTES", shape: [n, cols], data: data.map((x) => String(x)) };
    return { name: "predict", datatype: "FP64", shape: [n, cols], data };
  }
  const dt = outputMetadata(sig).find((o) => o.name === "predict")?.datatype ?? "FP64";
  // Labels of mixed types (rare) travel as text.
  const data = predictions as TensorValue[];
  if (dt === "BYTES" && !data.every((x) => typeof x === "string"))
    return { name: "predict", datatype: "BYTES", shape: [n], data: data.map((x) => String(x)) };
  return { name: "predict", datatype: dt, shape: [n], data };
}

/** Named tensors of a graph model (ONNX), rebuilt from per-row records. */
function graphTensors(sig: ModelSignature, predictions: readonly unknown[]): OutputTensor[] {
  const meta = new Map(outputMetadata(sig).map((o) => [o.name, o]));
  const n = predictions.length;
  const rows = predictions as Record<string, unknown>[];
  const names = n > 0 ? Object.keys(rows[0]) : [];
  return names.map((name) => {
    const data: TensorValue[] = [];
    let inner: number[] = [];
    for (const row of rows) {
      const v = row[name];
      if (Array.isArray(v)) {
        inner = [v.length];
        for (const x of v) data.push(x as TensorValue);
      } else if (ArrayBuffer.isView(v)) {
        const a = Array.from(v as unknown as ArrayLike<number>);
        inner = [a.length];
        data.push(...a);
      } else data.push(v as TensorValue);
    }
    return { name, datatype: meta.get(name)?.datatype ?? "FP64", shape: [n, ...inner], data };
  });
}

/** Extra scores a request asked for, computed by the adapter. */
export interface ExtraScores {
  readonly raw_score?: Matrix;
  readonly decision_function?: Matrix;
}

/** Builds the requested output tensors, in the order the request named them. */
export function buildOutputs(
  sig: ModelSignature,
  requested: readonly string[],
  result: InferenceResult,
  extras: ExtraScores,
): OutputTensor[] {
  const predictions = result.predictions ?? [];
  if (sig.output.tensors && sig.output.task === "other") {
    const all = graphTensors(sig, predictions);
    return requested.map((r) => all.find((t) => t.name === r)!);
  }
  return requested.map((name) => {
    switch (name) {
      case "predict":
        return predictTensor(sig, predictions);
      case "predict_proba":
        return matrixTensor(name, result.probabilities!);
      case "raw_score":
        return matrixTensor(name, extras.raw_score!);
      default:
        return matrixTensor(name, extras.decision_function!);
    }
  });
}
