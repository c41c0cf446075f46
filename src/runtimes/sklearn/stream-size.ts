/**
 * @module The decompressed size of the stream each unpickled value came from (budgets count relative to
 * the data present). Apart from the pickle reader, so that the event loop can hold these sizes for
 * values read in a loader worker without loading the reader.
 */

import type { PyValue } from "../../formats/pickle/py-objects.ts";

/** Decompressed sizes of the values `readPickle` returned, for counts relative to the data present. */
const streamSizes = new WeakMap<object, number>();

/** Size of the decompressed stream a value of `readPickle` came from. */
export function streamSizeOf(value: PyValue): number | undefined {
  return typeof value === "object" && value !== null ? streamSizes.get(value) : undefined;
}

/** Records the stream size of a value read elsewhere (in the loader worker). */
export function rememberStreamSize(value: PyValue, bytes: number): void {
  if (typeof value === "object" && value !== null) streamSizes.set(value, bytes);
}
