/**
 * @module The loader worker of XGBoost JSON and UBJSON files: decodes the bytes and lays the booster
 * out in flat typed arrays with every consistency check and the node budget, then moves the layout
 * back to the main thread, which only binds the prediction functions to it. Started per load by
 * {@link runLoaderWorker}, under a heap cap and a time budget.
 */

import { loadLimits } from "../load-limits.ts";
import { serveLoads } from "../loading/loader-worker.ts";
import { packArrays } from "../loading/pack-arrays.ts";
import { layoutForTransfer, type XgboostWorkerResult, xgboostModelFromLayout } from "./runtime.ts";

serveLoads((bytes, fileName): XgboostWorkerResult => {
  const result = layoutForTransfer(bytes, fileName);
  // A dry run of what the main thread does next (binding is cheap), so its errors are caught here.
  xgboostModelFromLayout(result.layout, result.format, fileName);
  // In shared memory (unless turned off), so that the inference pool's threads bind the same bytes.
  return loadLimits().sharedMemory ? packArrays(result, { shared: true }) : result;
});
