/**
 * @module A check before decoding text formats (XGBoost JSON, LightGBM text): whether the values a
 * file holds fit the load's heap budget. Past the budget, decoding would fail as an allocation the
 * loader worker cannot survive (V8's heap limit ends the whole process, not just the worker), so such
 * a file is refused before it is decoded.
 */

import { Errors } from "../../errors.ts";
import { loadLimits } from "../load-limits.ts";

/** Heap bytes allowed per decoded value (a number in an array, a string, an object). */
export const BYTES_PER_VALUE = 32;

/**
 * Throws `MS_LOAD_BUDGET_EXCEEDED` when the values of a file of `size` bytes or characters, counted
 * by `count` (an upper bound, from its separators), would not fit `loadMemoryMb`. `count` runs only
 * when the file is large enough to matter.
 */
export function checkDecodeBudget(size: number, count: () => number, fileName: string, what: string): void {
  const { memoryMb } = loadLimits();
  const max = Math.floor((memoryMb * 1024 * 1024) / BYTES_PER_VALUE);
  if (size < max) return; // fewer bytes than the budget's values: nothing to count
  const values = count();
  if (values > max)
    throw Errors.loadBudgetExceeded(
      fileName,
      `the ${what} holds about ${values} values, more than the ${max} a ${memoryMb} MB heap budget (loadMemoryMb) decodes`,
    );
}
