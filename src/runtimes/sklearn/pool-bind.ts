/**
 * @module How a thread of the inference pool rebuilds a scikit-learn model: from the value and layouts
 * the loader worker made (their arrays in `SharedArrayBuffer`s, shared by the structured clone that
 * brought them here), with the same build as the main thread's, so the answers are the same and the
 * model's memory is not copied.
 */

import { setLoadLimits } from "../load-limits.ts";
import type { RuntimeModel } from "../runtime.ts";
import { adoptLayouts } from "./layouts.ts";
import { modelFromValue, type SklearnPoolData } from "./runtime.ts";
import { rememberStreamSize } from "./stream-size.ts";

/** Binds the model of `data` on this thread (the contract of `RuntimeModel.shared`). */
export async function bindShared(data: SklearnPoolData): Promise<RuntimeModel> {
  // The main thread's budgets (a raised node budget builds here too); no nested loader worker.
  setLoadLimits({ ...data.limits, worker: false });
  rememberStreamSize(data.value, data.streamBytes);
  adoptLayouts(data.layouts);
  return modelFromValue(data.value, { fileName: data.fileName, bytes: data.head });
}
