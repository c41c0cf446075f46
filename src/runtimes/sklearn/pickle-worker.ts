/**
 * @module The loader worker of pickle and joblib files: decompresses (streamed, capped), unpickles,
 * checks the object graph and builds the model once as a dry run (every consistency check and the
 * node budget), then moves the unpickled value back to the main thread. Started per load by
 * {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { sha256Hex } from "../../util/hash.ts";
import { serveLoads } from "../loading/loader-worker.ts";
import { readPickle, streamSizeOf } from "./parse-pickle.ts";
import { modelFromValue, type PickleWorkerResult } from "./runtime.ts";

serveLoads(async (bytes, fileName): Promise<PickleWorkerResult> => {
  const value = await readPickle(bytes, fileName);
  await modelFromValue(value, { path: "", fileName, bytes });
  return { value, streamBytes: streamSizeOf(value) ?? bytes.byteLength, sha256: sha256Hex(bytes) };
});
