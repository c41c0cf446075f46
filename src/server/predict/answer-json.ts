/**
 * @module The native JSON answer written straight from a prediction: the bytes `JSON.stringify` gives for
 * {@link nativeAnswer}'s object, without building that object. Probabilities go from the model's matrix
 * to text under class keys escaped once per version, where the object form builds a map per row that
 * is serialized and dropped at once (on 1000-row batches, building and serializing the answer object
 * was a sixth of the server's CPU).
 *
 * Key order follows JavaScript's own, which `JSON.stringify` of a map keyed by class label shows: keys
 * that are array indices ("0", "1", …) first, ascending, then the others in class order; a label that
 * repeats another's key keeps the first one's place and the last one's value.
 */

import type { Method, PredictionValue } from "../../inference/run.ts";
import type { ReadyVersion } from "../../inference/version.ts";
import type { Label } from "../../runtimes/runtime.ts";
import { numberText } from "../../util/number-text.ts";
import type { Prediction } from "./pipeline.ts";
import { probabilityRows } from "./steps.ts";

/** The native answer of a prediction as an object (what {@link answerJson} writes as text). */
export function nativeAnswer(p: Prediction, method: Method, batch: boolean): Record<string, unknown> {
  const { version: v, result } = p;
  const probabilities = probabilityRows(result, p.rows);
  const head = { model: v.name, version: v.version };
  if (method === "predict_proba")
    return {
      ...head,
      // A multi-output classifier's `classes` is one list per output, like its probabilities.
      classes: result.classes ?? result.outputClasses,
      probabilities: batch ? probabilities : probabilities![0],
    };
  if (batch) return { ...head, predictions: result.predictions, ...(probabilities ? { probabilities } : {}) };
  const prediction = result.predictions![0];
  return probabilities ? { ...head, prediction, probabilities: probabilities[0] } : { ...head, prediction };
}

/** One probability column as written: its escaped key and the column it reads. */
interface Column {
  readonly key: string;
  readonly col: number;
}

/** What a version's answers share, worked out once. */
interface VersionText {
  /** `{"model":…,"version":…` */
  readonly head: string;
  /** Escaped keys per probability block: one block for `classes`, one per output for `outputClasses`. */
  readonly blocks?: readonly (readonly Column[])[];
  /** The classes as answered by `predict_proba` (`"classes":[…]` value). */
  readonly classes?: string;
}

const texts = new WeakMap<ReadyVersion, VersionText>();

/** Columns of a map keyed by `String(label)`, in the order JavaScript gives its keys. */
function columnsOf(labels: readonly Label[], offset: number): Column[] {
  const last = new Map<string, number>();
  for (let i = 0; i < labels.length; i++) last.set(String(labels[i]), offset + i);
  // An object with these keys, in label order, lists them in the order JSON.stringify writes them.
  const probe: Record<string, true> = {};
  for (const l of labels) probe[String(l)] = true;
  return Object.keys(probe).map((k) => ({ key: `${JSON.stringify(k)}:`, col: last.get(k)! }));
}

function textOf(v: ReadyVersion, classes?: readonly Label[], outputClasses?: readonly (readonly Label[])[]) {
  let t = texts.get(v);
  if (t) return t;
  let blocks: Column[][] | undefined;
  if (classes) blocks = [columnsOf(classes, 0)];
  else if (outputClasses) {
    let at = 0;
    blocks = outputClasses.map((cs) => {
      const b = columnsOf(cs, at);
      at += cs.length;
      return b;
    });
  }
  const listed = classes ?? outputClasses;
  t = {
    head: `{"model":${JSON.stringify(v.name)},"version":${JSON.stringify(v.version)}`,
    blocks,
    classes: listed === undefined ? undefined : JSON.stringify(listed),
  };
  texts.set(v, t);
  return t;
}

/** One prediction value as JSON. */
function valueJson(x: PredictionValue): string {
  switch (typeof x) {
    case "number":
      return numberText(x);
    case "boolean":
      return x ? "true" : "false";
    case "string":
      return JSON.stringify(x);
    default:
      return x === null ? "null" : JSON.stringify(x);
  }
}

/** One row's probability map (or, for several outputs, list of maps). */
function probabilityJson(
  blocks: readonly (readonly Column[])[],
  multi: boolean,
  data: Float64Array,
  at: number,
): string {
  let s = multi ? "[" : "";
  for (let b = 0; b < blocks.length; b++) {
    const cols = blocks[b];
    if (b > 0) s += ",";
    s += "{";
    for (let i = 0; i < cols.length; i++) {
      if (i > 0) s += ",";
      // numberText: JSON's text (null where not finite, as `probabilityMap` makes it), without V8's
      // number-to-string cache and its old-generation garbage.
      s += cols[i].key + numberText(data[at + cols[i].col]);
    }
    s += "}";
  }
  return multi ? `${s}]` : s;
}

/** The native JSON answer of a prediction, byte for byte `JSON.stringify(nativeAnswer(p, method, batch))`. */
export function answerJson(p: Prediction, method: Method, batch: boolean): string {
  const { version: v, result, rows } = p;
  const t = textOf(v, result.classes, result.outputClasses);
  const matrix = result.probabilities;
  // Probabilities are answered when the result has a matrix and columns to key it by (as probabilityRows).
  const blocks = matrix && t.blocks ? t.blocks : undefined;
  const multi = result.classes === undefined;
  const width = matrix?.cols ?? 0;
  let s = t.head;
  if (method === "predict_proba") {
    if (t.classes !== undefined) s += `,"classes":${t.classes}`;
    if (!blocks) return `${s}}`;
    if (!batch) return `${s},"probabilities":${probabilityJson(blocks, multi, matrix!.data, 0)}}`;
    s += ',"probabilities":[';
    for (let r = 0; r < rows; r++) {
      if (r > 0) s += ",";
      s += probabilityJson(blocks, multi, matrix!.data, r * width);
    }
    return `${s}]}`;
  }
  const predictions = result.predictions!;
  if (!batch) {
    // An undefined value drops its key, as JSON.stringify does.
    if (predictions[0] !== undefined) s += `,"prediction":${valueJson(predictions[0])}`;
    return blocks ? `${s},"probabilities":${probabilityJson(blocks, multi, matrix!.data, 0)}}` : `${s}}`;
  }
  s += ',"predictions":[';
  for (let r = 0; r < predictions.length; r++) {
    if (r > 0) s += ",";
    s += predictions[r] === undefined ? "null" : valueJson(predictions[r]);
  }
  s += "]";
  if (!blocks) return `${s}}`;
  s += ',"probabilities":[';
  for (let r = 0; r < rows; r++) {
    if (r > 0) s += ",";
    s += probabilityJson(blocks, multi, matrix!.data, r * width);
  }
  return `${s}]}`;
}
