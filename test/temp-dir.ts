/**
 * @module Temp directories for tests, removed when the test file's process exits (`node --test` runs
 * each file in its own process), so a run leaves nothing behind in the system's temp folder.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];
let hooked = false;

/** A fresh directory `<tmp>/modelserve-<prefix>-XXXXXX`, removed with everything in it at exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `modelserve-${prefix}-`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
