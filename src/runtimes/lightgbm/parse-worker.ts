/**
 * @module The loader worker of LightGBM text models: decodes and reads the text (every number
 * parsed, every tree checked) and compiles it once as a dry run (the node budget and every check),
 * then hands the read model back to the main thread. Started per load by {@link runLoaderWorker},
 * under a heap cap and a time budget.
 */

import { serveLoads } from "../loading/loader-worker.ts";
import type { LightgbmParsed } from "./model.ts";
import { lightgbmModelFromParsed, readLightgbmText } from "./runtime.ts";

serveLoads((bytes, fileName): LightgbmParsed => {
  const parsed = readLightgbmText(new TextDecoder().decode(bytes), fileName);
  lightgbmModelFromParsed(parsed, fileName);
  return parsed;
});
