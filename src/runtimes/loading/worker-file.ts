/**
 * @module What a loader worker runs, and how it starts. A loader worker is a fresh isolate: it imports
 * its runtime's whole parsing and building code (about 230 modules for scikit-learn) before the first
 * byte of a model is read, and on a one-CPU start that import was a third of the time from spawn to
 * ready. Two things make it cheaper, both optional:
 *
 * - **A prebuilt bundle**: `npm run build` writes each loader worker entry as one file beside it
 *   (`pickle-worker.js` → `pickle-worker.bundle.js`, see `scripts/build/bundle-workers.ts`); one file
 *   resolves and compiles in a fraction of the time of hundreds. A bundle older than its entry (the
 *   entry recompiled since) is ignored, so a stale bundle never runs against newer code.
 * - **Node's compile cache**, when the process has it on (the `modelserve` command does): the worker
 *   turns it on for itself, in the same directory, before importing anything.
 *
 * Running from TypeScript sources (tests, `node src/...`) there is no bundle and nothing changes.
 */

import { statSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";

const chosen = new Map<string, URL>();

/**
 * The file to run for a loader worker entry: its bundle (`<name>.bundle.js` beside `<name>.js`) when
 * one exists and is not older than the entry, else the entry itself. Decided once per entry.
 */
export function workerFile(entry: URL): URL {
  const known = chosen.get(entry.href);
  if (known) return known;
  let file = entry;
  if (entry.protocol === "file:" && entry.pathname.endsWith(".js")) {
    const bundle = new URL(entry.href.replace(/\.js$/, ".bundle.js"));
    try {
      const b = statSync(fileURLToPath(bundle));
      const e = statSync(fileURLToPath(entry));
      if (b.mtimeMs >= e.mtimeMs) file = bundle;
    } catch {
      // No bundle (or no entry to compare with): the entry as it is.
    }
  }
  chosen.set(entry.href, file);
  return file;
}

/** Forgets the files chosen so far (for tests that write or age bundles). */
export function forgetWorkerFiles(): void {
  chosen.clear();
}

/**
 * The script a loader worker starts with (`eval`): turns on the compile cache in the directory the
 * process uses, if it uses one, then imports the worker's file. Only dynamic imports, so that it runs
 * as CommonJS or as a module (an eval worker inherits `--input-type`). An import that fails rejects,
 * which ends the worker with an `error` event, as a failing entry did when it was started directly.
 */
export const WORKER_BOOT = `
import("node:worker_threads").then(async ({ workerData }) => {
  if (workerData.cacheDir) (await import("node:module")).enableCompileCache?.(workerData.cacheDir);
  await import(workerData.file);
});
`;

/** What {@link WORKER_BOOT} reads from `workerData`. */
export interface WorkerBootData {
  readonly file: string;
  readonly cacheDir?: string;
}

/** The boot data for an entry: its chosen file and the process's compile cache directory, if any. */
export function workerBootData(entry: URL): WorkerBootData {
  const cacheDir = (nodeModule as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
  return { file: workerFile(entry).href, ...(cacheDir ? { cacheDir } : {}) };
}
