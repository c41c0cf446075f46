/**
 * @module The loader worker of XGBoost JSON and UBJSON files: decodes the bytes, packs the numeric
 * arrays into typed arrays and compiles the booster once as a dry run (every consistency check and
 * the node budget), then moves the decoded model back to the main thread. Started per load by
 * {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { serveLoads } from "../loading/loader-worker.ts";
import { decodeForTransfer, type XgboostWorkerResult, xgboostModelFromData } from "./runtime.ts";

serveLoads((bytes, fileName): XgboostWorkerResult => {
  const result = decodeForTransfer(bytes, fileName);
  xgboostModelFromData(result.data, bytes.byteLength, fileName, result.format);
  return result;
});
