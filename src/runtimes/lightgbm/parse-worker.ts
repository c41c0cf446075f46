/**
 * @module The loader worker of LightGBM text models: decodes and reads the text (every number
 * parsed, every tree checked) and compiles it once as a dry run (the node budget and every check),
 * then hands the read model back to the main thread. Started per load by {@link runLoaderWorker},
 * under a heap cap and a time budget.
 */

import { parentPort } from "node:worker_threads";
import { type LoadLimits, setLoadLimits } from "../load-limits.ts";
import { lowerLoaderPriority, toWire, type WorkerReply } from "../loading/loader-worker-host.ts";
import type { LightgbmParsed } from "./model.ts";
import { lightgbmModelFromParsed, readLightgbmText } from "./runtime.ts";

/** One load: the file's bytes and name, and the budgets in force. */
interface Job {
  readonly data: { readonly bytes: Uint8Array; readonly fileName: string };
  readonly limits: LoadLimits;
}

function load({ data, limits }: Job): void {
  const { bytes, fileName } = data;
  setLoadLimits({ ...limits, worker: false });
  try {
    const parsed = readLightgbmText(new TextDecoder().decode(bytes), fileName);
    lightgbmModelFromParsed(parsed, fileName);
    const reply: WorkerReply<LightgbmParsed> = { ok: true, result: parsed };
    parentPort!.postMessage(reply);
  } catch (err) {
    const reply: WorkerReply<LightgbmParsed> = { ok: false, error: toWire(err) };
    parentPort!.postMessage(reply);
  }
}

lowerLoaderPriority();

parentPort!.on("message", (job: Job) => load(job));
