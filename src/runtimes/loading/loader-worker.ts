/**
 * @module The worker side of a loader worker ({@link runLoaderWorker} is the host side): takes each
 * load the host posts, runs it under the budgets the host sent (on this thread: a worker starts no
 * other), and posts back the result with its buffers moved, or the error with its code. Also lowers
 * this thread's priority, so that serving comes first.
 */

import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { type LoadLimits, setLoadLimits } from "../load-limits.ts";
import { toWire, type WorkerReply } from "./loader-worker-host.ts";
import { transferables, transferListOf } from "./transfer.ts";

/** One load as the host posts it: the file's bytes (shared memory) and name, and the budgets in force. */
interface Job {
  readonly data: { readonly bytes: Uint8Array; readonly fileName: string };
  readonly limits: LoadLimits;
}

/**
 * Serves loads on this worker thread: `load` turns a file's bytes into what the main thread needs
 * (plain data and typed arrays; the arrays are moved, not copied).
 */
export function serveLoads<T>(load: (bytes: Uint8Array, fileName: string) => T | Promise<T>): void {
  // On Linux the nice value is per thread, so this lowers only the loader: a bomb or a huge model then
  // takes the CPU the event loop leaves, not the other way round. Where not permitted, normal priority.
  if (process.platform === "linux") {
    try {
      setPriority(10);
    } catch {
      // Not permitted here.
    }
  }
  parentPort!.on("message", async ({ data, limits }: Job) => {
    setLoadLimits({ ...limits, worker: false });
    try {
      const result = await load(data.bytes, data.fileName);
      const reply: WorkerReply<T> = { ok: true, result };
      try {
        parentPort!.postMessage(reply, transferListOf(result) ?? transferables(result));
      } catch {
        // A buffer that cannot move (a pooled one) is copied instead.
        parentPort!.postMessage(reply);
      }
    } catch (err) {
      const reply: WorkerReply<T> = { ok: false, error: toWire(err) };
      parentPort!.postMessage(reply);
    }
  });
}
