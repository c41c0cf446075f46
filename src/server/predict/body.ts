/**
 * @module The first step of a prediction: the body's shape. A single-row route takes one row object
 * (named features or `{"features": [...]}`); a batch route takes `{"instances": [row, ...]}` and
 * nothing else beside it, within the batch limit.
 */

import { Errors } from "../../errors.ts";

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? "a string" : typeof v;
}

/** The rows a body holds; throws the documented 400/413 errors for any other shape. */
export function rowsOfBody(body: unknown, batch: boolean, maxBatchSize: number): unknown[] {
  if (body === null || body === undefined || typeof body !== "object" || Array.isArray(body)) {
    throw Errors.bodyNotObject(
      body === undefined ? "an empty body" : typeName(body),
      batch ? 'send {"instances": [row, ...]}' : 'send named features or {"features": [...]}',
    );
  }
  if (!batch) return [body];
  const obj = body as Record<string, unknown>;
  if (!("instances" in obj)) throw Errors.invalidBatch('nothing: the body has no "instances" field');
  const extra = Object.keys(obj).filter((k) => k !== "instances");
  if (extra.length > 0)
    throw Errors.invalidBatch(`unexpected fields next to "instances": ${extra.join(", ")}`);
  const inst = obj.instances;
  if (!Array.isArray(inst)) throw Errors.invalidBatch(typeName(inst));
  if (inst.length === 0) throw Errors.emptyBatch();
  if (inst.length > maxBatchSize) throw Errors.batchTooLarge(inst.length, maxBatchSize);
  return inst;
}
