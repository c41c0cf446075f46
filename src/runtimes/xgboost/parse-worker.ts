/**
 * @module The loader worker of XGBoost JSON and UBJSON files: decodes the bytes, packs the numeric
 * arrays into typed arrays and compiles the booster once as a dry run (every consistency check and
 * the node budget), then moves the decoded model back to the main thread. Started per load by
 * {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { parentPort } from "node:worker_threads";
import { type LoadLimits, setLoadLimits } from "../load-limits.ts";
import { lowerLoaderPriority, toWire, type WorkerReply } from "../loading/loader-worker-host.ts";
import { transferables } from "../loading/transfer.ts";
import { decodeForTransfer, type XgboostWorkerResult, xgboostModelFromData } from "./runtime.ts";

/** One load: the file's bytes and name, and the budgets in force. */
interface Job {
  readonly data: { readonly bytes: Uint8Array; readonly fileName: string };
  readonly limits: LoadLimits;
}

function load({ data, limits }: Job): void {
  const { bytes, fileName } = data;
  setLoadLimits({ ...limits, worker: false });
  try {
    const result: XgboostWorkerResult = decodeForTransfer(bytes, fileName);
    xgboostModelFromData(result.data, bytes.byteLength, fileName, result.format);
    const reply: WorkerReply<XgboostWorkerResult> = { ok: true, result };
    parentPort!.postMessage(reply, transferables(result.data));
  } catch (err) {
    const reply: WorkerReply<XgboostWorkerResult> = { ok: false, error: toWire(err) };
    parentPort!.postMessage(reply);
  }
}

lowerLoaderPriority();

parentPort!.on("message", (job: Job) => load(job));
