/**
 * @module The V2 JSON infer answer written as text straight from the answer: byte for byte
 * `JSON.stringify(inferResponseJson(answer))`, without building the answer object, the plain arrays of
 * its tensors' data, or walking them a second time to serialize. For a single row that object and its
 * serialization were the largest piece of the V2 route's own work; numbers go through `numberText` as
 * in the native answer (no old-generation garbage from V8's number-to-string cache).
 */

import { numberText } from "../../../util/number-text.ts";
import { stringText } from "../../../util/string-text.ts";
import type { OutputTensor } from "./codec.ts";
import type { InferAnswer } from "./service.ts";
import type { TensorValue } from "./tensor.ts";

/** One tensor element as JSON (`null` for a number that is not finite, as `jsonData` makes it). */
function valueText(v: TensorValue): string {
  switch (typeof v) {
    case "number":
      return numberText(v);
    case "string":
      return stringText(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      return "null";
  }
}

/** `s` with one output tensor appended (each piece appended on its own, as in the native answer). */
function appendTensor(s: string, o: OutputTensor): string {
  s += `{"name":${stringText(o.name)},"datatype":${stringText(o.datatype)},"shape":[`;
  const shape = o.shape;
  for (let i = 0; i < shape.length; i++) {
    if (i > 0) s += ",";
    s += numberText(shape[i]);
  }
  s += '],"data":[';
  const data = o.data;
  for (let i = 0; i < data.length; i++) {
    if (i > 0) s += ",";
    s += valueText(data[i]);
  }
  s += "]}";
  return s;
}

/** The JSON answer of an infer request: the bytes `JSON.stringify(inferResponseJson(answer))` gives. */
export function inferAnswerText(answer: InferAnswer): string {
  let s = `{"model_name":${stringText(answer.model_name)},"model_version":${stringText(answer.model_version)}`;
  s += `,"id":${stringText(answer.id)},"outputs":[`;
  const outputs = answer.outputs;
  for (let i = 0; i < outputs.length; i++) {
    if (i > 0) s += ",";
    s = appendTensor(s, outputs[i]);
  }
  s += "]}";
  return s;
}
