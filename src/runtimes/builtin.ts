/**
 * @module The runtimes modelserve ships, in resolution order. Each is resolved by its descriptor and
 * its code imported on its first load (descriptor.ts), so a process loads only the runtimes of the
 * files it serves.
 */

import { lazyRuntime } from "./descriptor.ts";
import { lightgbmDescriptor } from "./lightgbm/descriptor.ts";
import { onnxDescriptor } from "./onnx/descriptor.ts";
import { RuntimeSet } from "./resolve.ts";
import type { Runtime } from "./runtime.ts";
import { sklearnDescriptor } from "./sklearn/descriptor.ts";
import { typescriptDescriptor } from "./typescript/descriptor.ts";
import { xgboostDescriptor } from "./xgboost/descriptor.ts";

/** Built-in runtimes. Each runtime folder adds its entry here: its descriptor and its code. */
const BUILTIN_RUNTIMES: readonly Runtime[] = [
  lazyRuntime(typescriptDescriptor, async () => (await import("./typescript/runtime.ts")).typescriptRuntime),
  lazyRuntime(sklearnDescriptor, async () => (await import("./sklearn/runtime.ts")).sklearnRuntime),
  lazyRuntime(xgboostDescriptor, async () => (await import("./xgboost/runtime.ts")).xgboostRuntime),
  lazyRuntime(lightgbmDescriptor, async () => (await import("./lightgbm/runtime.ts")).lightgbmRuntime),
  lazyRuntime(onnxDescriptor, async () => (await import("./onnx/runtime.ts")).onnxRuntime),
];

/** A fresh set of the built-in runtimes. */
export function builtinRuntimes(): RuntimeSet {
  return new RuntimeSet(BUILTIN_RUNTIMES);
}
