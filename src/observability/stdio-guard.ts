/**
 * @module Output that cannot hold the process hostage: a closed stdout/stderr (a log shipper that
 * died, `serve … | head -5`) must neither crash the server with EPIPE nor keep it from exiting, and a
 * reader that stops reading must not keep a terminating process alive past its deadline.
 */

import { Worker } from "node:worker_threads";

let guarded = false;

/**
 * Makes write errors on stdout and stderr (EPIPE once the reader is gone) harmless: the lines are lost,
 * the server keeps serving. Idempotent.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", () => {
      // Nothing to report to: the stream is the report channel. Later writes are dropped by Node.
    });
  }
}

// Runs in its own thread, so it fires even while the main thread is blocked in a write to a pipe
// nobody reads (or in any other synchronous call).
const WATCHDOG = `
const { workerData } = require("node:worker_threads");
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
process.kill(workerData.pid, "SIGKILL");
`;

/**
 * Ends the process with SIGKILL after `ms` milliseconds unless it exited first: the last resort of a
 * shutdown whose deadline passed while the main thread was stuck. Does not keep the process alive.
 */
export function armExitWatchdog(ms: number): void {
  const w = new Worker(WATCHDOG, { eval: true, workerData: { ms, pid: process.pid } });
  w.unref();
}
