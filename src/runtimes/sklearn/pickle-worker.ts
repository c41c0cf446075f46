/**
 * @module The loader worker of pickle and joblib files: decompresses (streamed, capped), unpickles,
 * checks the object graph and builds the model once as a dry run (every consistency check and the
 * node budget), recording the layouts the build prepares (tree arrays, packed forests: see
 * layouts.ts), then moves the unpickled value and those layouts back to the main thread, whose build
 * only binds (in shared memory unless turned off: see load-limits.ts). Started per load by {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { sha256Hex } from "../../util/hash.ts";
import { loadLimits } from "../load-limits.ts";
import { serveLoads } from "../loading/loader-worker.ts";
import { packArrays } from "../loading/pack-arrays.ts";
import { withTransferList } from "../loading/transfer.ts";
import { recordLayouts } from "./layouts.ts";
import { readPickle } from "./parse-pickle.ts";
import { modelFromValue, type PickleWorkerResult } from "./runtime.ts";
import { streamSizeOf } from "./stream-size.ts";

serveLoads(async (bytes, fileName): Promise<PickleWorkerResult> => {
  const value = await readPickle(bytes, fileName);
  const { layouts } = await recordLayouts(() => modelFromValue(value, { path: "", fileName, bytes }));
  const streamBytes = streamSizeOf(value) ?? bytes.byteLength;
  // Thousands of small tree arrays: moved as views of a few buffers, received in a fraction of the time;
  // in shared memory, every array, so that the inference pool's threads bind the very same bytes.
  const transfer: ArrayBuffer[] = [];
  const packed = packArrays({ value, layouts }, { shared: loadLimits().sharedMemory, transfer });
  // The packing walked the result already: its transfer list saves the post another walk.
  return withTransferList({ ...packed, streamBytes, sha256: sha256Hex(bytes) }, transfer);
});
