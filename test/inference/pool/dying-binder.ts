/**
 * A recipe module whose first bind ends its thread: while the marker file named in the recipe exists,
 * `bindShared` deletes it and stops the thread (as a crash at that moment would); afterwards it binds
 * the wrapped recipe (the start-up rebind test of idle-restart.test.ts).
 */

import { existsSync, unlinkSync } from "node:fs";
import type { SharedModelRecipe } from "../../../src/runtimes/runtime.ts";

/** Stops the thread the first time, then binds `data.inner`. */
export async function bindShared(data: { marker: string; inner: SharedModelRecipe }): Promise<unknown> {
  if (existsSync(data.marker)) {
    unlinkSync(data.marker);
    process.exit(3);
  }
  const binder = (await import(data.inner.module)) as { bindShared(d: unknown): unknown };
  return binder.bindShared(data.inner.data);
}
