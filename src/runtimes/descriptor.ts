/**
 * @module What resolution needs of a runtime before loading anything: its name, extensions and sniff
 * (`RuntimeDescriptor`), kept in a small module per runtime (`<runtime>/descriptor.ts`), apart from
 * its loading and predicting code. The built-in set (builtin.ts) imports a runtime's code only when a
 * file resolves to it: a server of XGBoost models never loads the scikit-learn runtime's ~230 modules.
 */

import type { Runtime } from "./runtime.ts";

/** A runtime's name, extensions and sniff: everything {@link RuntimeSet} resolves with. */
export type RuntimeDescriptor = Pick<Runtime, "name" | "extensions" | "sniff">;

/**
 * A runtime from its descriptor and its `load`. Calls are marked pure (a `@__PURE__` comment) where the
 * runtimes are defined: a loader worker's bundle imports helpers from its runtime's module and must
 * leave the unused runtime object out, and with it the loading host code (worker-file.ts) it reaches.
 */
export function runtimeOf(descriptor: RuntimeDescriptor, load: Runtime["load"]): Runtime {
  return { name: descriptor.name, extensions: descriptor.extensions, sniff: descriptor.sniff, load };
}

/**
 * A runtime whose code is imported on its first load (once; later loads reuse it). Resolution uses
 * the descriptor alone.
 */
export function lazyRuntime(descriptor: RuntimeDescriptor, code: () => Promise<Runtime>): Runtime {
  let loaded: Promise<Runtime> | undefined;
  return runtimeOf(descriptor, async (source, options) => {
    // A failed import is not kept: the next load tries again.
    loaded ??= code().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return (await loaded).load(source, options);
  });
}
