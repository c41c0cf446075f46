/**
 * @module The loader worker of LightGBM text models: decodes and reads the text (every number
 * parsed, every tree checked, the node budget) and lays the trees out in flat typed arrays, then
 * moves the layout back to the main thread, which only binds the prediction functions to it. Started per load by {@link runLoaderWorker},
 * under a heap cap and a time budget.
 */

import { loadLimits } from "../load-limits.ts";
import { serveLoads } from "../loading/loader-worker.ts";
import { packArrays } from "../loading/pack-arrays.ts";
import type { LightgbmLayout } from "./model.ts";
import { lightgbmLayout, lightgbmModelFromLayout, readLightgbmText } from "./runtime.ts";

serveLoads((bytes, fileName): LightgbmLayout => {
  const layout = lightgbmLayout(readLightgbmText(new TextDecoder().decode(bytes), fileName), fileName);
  // A dry run of what the main thread does next (binding is cheap), so its errors are caught here.
  lightgbmModelFromLayout(layout, fileName);
  // In shared memory (unless turned off), so that the inference pool's threads bind the same bytes.
  return loadLimits().sharedMemory ? packArrays(layout, { shared: true }) : layout;
});
