/**
 * @module How a thread of the inference pool binds a LightGBM model: the trees' flat layout, laid out
 * once by the loader worker in `SharedArrayBuffer`s, bound here as on the main thread (binding is cheap
 * and copies none of the arrays).
 */

import type { RuntimeModel } from "../runtime.ts";
import { type LightgbmPoolData, lightgbmModelFromLayout } from "./runtime.ts";

/** Binds the model of `data` on this thread (the contract of `RuntimeModel.shared`). */
export function bindShared(data: LightgbmPoolData): RuntimeModel {
  return lightgbmModelFromLayout(data.layout, data.fileName);
}
