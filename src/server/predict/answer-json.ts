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

/**
 * A row of probabilities as text: `leads[i]`, then column `cols[i]`'s number, for each value, then
 * `tail`. A lead holds all the fixed text before its value (braces, commas, brackets, the escaped key),
 * so a row is one rope node per piece with no nested ropes: flattening a 1000-row answer's rope (done
 * once, to measure and send it) walks half the nodes it did when each key, value and comma was its
 * own node, and no node has a rope for a right-hand side.
 */
interface RowPlan {
  readonly leads: readonly string[];
  readonly cols: readonly number[];
  readonly tail: string;
  /** What a row after the first starts with: a comma, then the first lead (or the whole row, with no value). */
  readonly next: string;
}

/** What a version's answers share, worked out once. */
interface VersionText {
  /** `{"model":…,"version":…` */
  readonly head: string;
  /** How a row of probabilities is written: one map per block (for several outputs, in a list). */
  readonly row?: RowPlan;
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

/** The row plan of probability blocks (one map each; several in a list when `multi`). */
function planOf(blocks: readonly (readonly Column[])[], multi: boolean): RowPlan {
  const leads: string[] = [];
  const cols: number[] = [];
  let pending = multi ? "[" : "";
  for (let b = 0; b < blocks.length; b++) {
    if (b > 0) pending += ",";
    pending += "{";
    const block = blocks[b];
    for (let i = 0; i < block.length; i++) {
      if (i > 0) pending += ",";
      leads.push(pending + block[i].key);
      cols.push(block[i].col);
      pending = "";
    }
    pending += "}";
  }
  const tail = multi ? `${pending}]` : pending;
  return { leads, cols, tail, next: `,${leads.length > 0 ? leads[0] : tail}` };
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
    row: blocks && planOf(blocks, classes === undefined),
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

/**
 * `s` followed by `rows` rows of probabilities from `data` (`width` columns a row), comma-separated: each
 * piece appended on its own (`s += a; s += b`, never `s += a + b`, which would hang a rope on the rope).
 */
function appendRows(s: string, plan: RowPlan, data: Float64Array, rows: number, width: number): string {
  const { leads, cols, tail, next } = plan;
  const n = leads.length;
  for (let r = 0; r < rows; r++) {
    if (n === 0) {
      s += r === 0 ? tail : next;
      continue;
    }
    const at = r * width;
    s += r === 0 ? leads[0] : next;
    // numberText: JSON's text (null where not finite, as `probabilityMap` makes it), without V8's
    // number-to-string cache and its old-generation garbage.
    s += numberText(data[at + cols[0]]);
    for (let i = 1; i < n; i++) {
      s += leads[i];
      s += numberText(data[at + cols[i]]);
    }
    s += tail;
  }
  return s;
}

/** The native JSON answer of a prediction, byte for byte `JSON.stringify(nativeAnswer(p, method, batch))`. */
export function answerJson(p: Prediction, method: Method, batch: boolean): string {
  const { version: v, result, rows } = p;
  const t = textOf(v, result.classes, result.outputClasses);
  const matrix = result.probabilities;
  // Probabilities are answered when the result has a matrix and columns to key it by (as probabilityRows).
  const plan = matrix && t.row ? t.row : undefined;
  const width = matrix?.cols ?? 0;
  let s = t.head;
  if (method === "predict_proba") {
    if (t.classes !== undefined) s += `,"classes":${t.classes}`;
    if (!plan) return `${s}}`;
    if (!batch) return `${appendRows(`${s},"probabilities":`, plan, matrix!.data, 1, width)}}`;
    return `${appendRows(`${s},"probabilities":[`, plan, matrix!.data, rows, width)}]}`;
  }
  const predictions = result.predictions!;
  if (!batch) {
    // An undefined value drops its key, as JSON.stringify does.
    if (predictions[0] !== undefined) s += `,"prediction":${valueJson(predictions[0])}`;
    return plan ? `${appendRows(`${s},"probabilities":`, plan, matrix!.data, 1, width)}}` : `${s}}`;
  }
  s += ',"predictions":[';
  for (let r = 0; r < predictions.length; r++) {
    if (r > 0) s += ",";
    s += predictions[r] === undefined ? "null" : valueJson(predictions[r]);
  }
  if (!plan) return `${s}]}`;
  s += '],"probabilities":[';
  return `${appendRows(s, plan, matrix!.data, rows, width)}]}`;
}
