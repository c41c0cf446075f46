/**
 * @module The loader worker of pickle and joblib files: decompresses (streamed, capped), unpickles,
 * checks the object graph and builds the model once as a dry run (every consistency check and the
 * node budget), then moves the unpickled value back to the main thread. Started per load by
 * {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { parentPort } from "node:worker_threads";
import { sha256Hex } from "../../util/hash.ts";
import { type LoadLimits, setLoadLimits } from "../load-limits.ts";
import { lowerLoaderPriority, toWire, type WorkerReply } from "../loading/loader-worker-host.ts";
import { transferables } from "../loading/transfer.ts";
import { readPickle, streamSizeOf } from "./parse-pickle.ts";
import { modelFromValue, type PickleWorkerResult } from "./runtime.ts";

/** One load: the file's bytes and name, and the budgets in force. */
interface Job {
  readonly data: { readonly bytes: Uint8Array; readonly fileName: string };
  readonly limits: LoadLimits;
}

async function load({ data, limits }: Job): Promise<void> {
  const { bytes, fileName } = data;
  // This is the worker: nothing here starts another one.
  setLoadLimits({ ...limits, worker: false });
  try {
    const value = await readPickle(bytes, fileName);
    await modelFromValue(value, { path: "", fileName, bytes });
    const result: PickleWorkerResult = {
      value,
      streamBytes: streamSizeOf(value) ?? bytes.byteLength,
      sha256: sha256Hex(bytes),
    };
    const reply: WorkerReply<PickleWorkerResult> = { ok: true, result };
    try {
      parentPort!.postMessage(reply, transferables(value));
    } catch {
      // A buffer that cannot move (a pooled one) is copied instead.
      parentPort!.postMessage(reply);
    }
  } catch (err) {
    const reply: WorkerReply<PickleWorkerResult> = { ok: false, error: toWire(err) };
    parentPort!.postMessage(reply);
  }
}

lowerLoaderPriority();

parentPort!.on("message", (job: Job) => void load(job));
