/**
 * @module The first steps of a prediction: the body's JSON text, then its shape. A single-row route
 * takes one row object (named features or `{"features": [...]}`); a batch route takes
 * `{"instances": [row, ...]}` and nothing else beside it, within the batch limit.
 */

import { Errors } from "../../errors.ts";
import { checkBody, MAX_JSON_DEPTH } from "../batch-guard.ts";

/**
 * The value of a non-empty JSON body (Fastify's JSON parser and the fast lane share it). Too deep a
 * body, or a batch of more than `maxRows` rows, is refused on its raw text: parsing it would block the
 * loop (deep nesting) or build every row first (10⁶ tiny rows). Throws the documented 400/413 errors.
 */
export function parseBody(text: string, maxRows?: number): unknown {
  const problem = checkBody(text, MAX_JSON_DEPTH, maxRows);
  if (problem?.kind === "depth") throw Errors.nestingTooDeep(MAX_JSON_DEPTH);
  if (problem?.kind === "rows") throw Errors.batchTooLarge(problem.rows, maxRows ?? problem.rows);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw Errors.malformedJson((err as Error).message);
  }
}

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
