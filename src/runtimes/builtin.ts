/** @module The runtimes modelserve ships, in resolution order. */

import { lightgbmRuntime } from "./lightgbm/runtime.ts";
import { onnxRuntime } from "./onnx/runtime.ts";
import { RuntimeSet } from "./resolve.ts";
import type { Runtime } from "./runtime.ts";
import { sklearnRuntime } from "./sklearn/runtime.ts";
import { typescriptRuntime } from "./typescript/runtime.ts";
import { xgboostRuntime } from "./xgboost/runtime.ts";

/** Built-in runtimes. Each runtime folder adds its entry here. */
const BUILTIN_RUNTIMES: readonly Runtime[] = [
  typescriptRuntime,
  sklearnRuntime,
  xgboostRuntime,
  lightgbmRuntime,
  onnxRuntime,
];

/** A fresh set of the built-in runtimes. */
export function builtinRuntimes(): RuntimeSet {
  return new RuntimeSet(BUILTIN_RUNTIMES);
}
