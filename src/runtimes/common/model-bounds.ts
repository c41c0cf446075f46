/**
 * @module Bounds every runtime applies to what a model file declares (XGBoost JSON/UBJSON, LightGBM
 * text, ONNX): counts must be integers within a maximum relative to the file's size, indices must stay
 * inside what they index, and the total of tree nodes within the configured budget. A failure is an
 * {@link InconsistencyError} the runtime reports as `MS_INCONSISTENT_MODEL` (or `MS_LIMIT_EXCEEDED`
 * for the node budget), naming the part, the attribute and what was expected.
 */

import { Errors, isModelServeError } from "../../errors.ts";
import { loadLimits } from "../load-limits.ts";

/** A declared count or index that contradicts the rest of the file. */
export class InconsistencyError extends Error {}

/** The tree-node budget (`loadMaxTreeNodes`) was exceeded. */
export class NodeBudgetError extends Error {}

/**
 * Runs one step of reading or compiling a model file, turning every failure into a documented error
 * naming the file: a runtime's own error flagged `unsupported` → `MS_UNSUPPORTED_MODEL`, an
 * {@link InconsistencyError} → `MS_INCONSISTENT_MODEL`, a {@link NodeBudgetError} → `MS_LIMIT_EXCEEDED`,
 * anything else → `MS_INVALID_MODEL`; errors already documented pass through.
 */
export function withModelErrors<T>(fileName: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (isModelServeError(err)) throw err;
    const message = (err as Error).message;
    if ((err as { unsupported?: unknown }).unsupported === true)
      throw Errors.unsupportedModel(fileName, message);
    if (err instanceof InconsistencyError) throw Errors.inconsistentModel(fileName, message);
    if (err instanceof NodeBudgetError) throw Errors.limitExceeded(fileName, message);
    throw Errors.invalidModel(fileName, message);
  }
}

/** Most inputs a model's request schema may declare. */
export const MAX_MODEL_FEATURES = 1 << 20;

/** The most a file of `fileBytes` may declare: 8 per byte of the file, at least 65 536, within `absolute`. */
export function relativeCap(fileBytes: number, absolute: number): number {
  return Math.min(absolute, Math.max(1 << 16, fileBytes * 8));
}

/** A count: an integer in `[min, max]`, else an error naming `what`. */
export function boundedCount(n: number, what: string, max: number, min = 0): number {
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InconsistencyError(`${what} should be an integer from ${min} to ${max}, found ${n}`);
  return n;
}

/** Every index in `[0, size)`. */
export function indicesWithin(data: ArrayLike<number>, size: number, what: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < size))
      throw new InconsistencyError(
        `${what} should hold indices in [0, ${size}), found ${v} at position ${i}`,
      );
  }
}

/** Fails when a model's trees total more nodes than the budget (`loadMaxTreeNodes`). */
export function checkNodeTotal(total: number, what: string): void {
  const max = loadLimits().maxTreeNodes;
  if (total > max)
    throw new NodeBudgetError(
      `${what} total ${total} tree nodes, more than the ${max} allowed (maxTreeNodes)`,
    );
}
