/**
 * @module Reading a scikit-learn model file: decompression (joblib's and the plain codecs), the pickle VM
 * that executes nothing and refuses names outside the allow-list, and the value graph's bounds. The
 * decompressed size of each value read is remembered, so later counts can be bounded relative to it.
 */

import { Errors } from "../../errors.ts";
import { decompress } from "../../formats/compression/decompress.ts";
import { checkGraph, GraphError } from "../../formats/pickle/graph-bounds.ts";
import type { PyValue } from "../../formats/pickle/py-objects.ts";
import { DEFAULT_LIMITS, PickleError, unpickle } from "../../formats/pickle/unpickler.ts";
import { inflateCap, loadLimits } from "../load-limits.ts";
import { isAllowed } from "./allow-list.ts";
import { fitOnlyReason } from "./fit-only.ts";
import { rememberStreamSize } from "./stream-size.ts";

/** Unpickles a (possibly compressed) file, refusing untrusted names; returns the top value. */
export async function readPickle(bytes: Uint8Array, fileName: string): Promise<PyValue> {
  if (bytes.byteLength === 0) throw Errors.invalidModel(fileName, "the file is empty");
  const limits = loadLimits();
  const stream = await decompress(bytes, fileName, inflateCap(bytes.byteLength, limits));
  let result: ReturnType<typeof unpickle>;
  try {
    // A value costs a few hundred bytes of heap (a dict: object, Map, array): 512 per value bounds how
    // many a stream may build well inside the memory budget.
    const maxValues = Math.floor((limits.memoryMb * 1024 * 1024) / 512);
    result = unpickle(stream, { allowed: isAllowed, limits: { ...DEFAULT_LIMITS, maxValues } });
  } catch (err) {
    if (err instanceof PickleError) {
      if (err.reason === "limit") throw Errors.limitExceeded(fileName, err.message);
      if (err.reason === "budget")
        throw Errors.loadBudgetExceeded(fileName, `${err.message} (loadMemoryMb is ${limits.memoryMb})`);
      if (err.reason === "unsupported") throw Errors.unsupportedModel(fileName, err.message);
      throw Errors.invalidModel(fileName, err.message);
    }
    throw err;
  }
  if (result.untrusted.length > 0) {
    const fitOnly = fitOnlyReason(result.untrusted);
    if (fitOnly) throw Errors.unsupportedModel(fileName, fitOnly);
    throw Errors.untrustedPickle(fileName, result.untrusted);
  }
  // Everything after walks the value recursively: cycles and excessive depth are refused here, once.
  try {
    checkGraph(result.value, limits.maxDepth);
  } catch (err) {
    if (err instanceof GraphError && err.reason === "depth")
      throw Errors.limitExceeded(fileName, `${err.message} (loadMaxDepth)`);
    if (err instanceof GraphError) throw Errors.invalidModel(fileName, err.message);
    throw err;
  }
  rememberStreamSize(result.value, stream.byteLength);
  return result.value;
}
