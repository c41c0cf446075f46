/**
 * @module How a thread of the inference pool binds an XGBoost model: the booster's flat layout, laid
 * out once by the loader worker in `SharedArrayBuffer`s, bound here as on the main thread (binding is
 * cheap and copies none of the arrays).
 */

import type { RuntimeModel } from "../runtime.ts";
import { type XgboostPoolData, xgboostModelFromLayout } from "./runtime.ts";

/** Binds the model of `data` on this thread (the contract of `RuntimeModel.shared`). */
export function bindShared(data: XgboostPoolData): RuntimeModel {
  return xgboostModelFromLayout(data.layout, data.format, data.fileName);
}
