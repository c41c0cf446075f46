/**
 * @module Runs one model load in a fresh `worker_threads` Worker under the load budgets: a heap cap
 * (`resourceLimits`), a wall-time budget after which the worker is terminated, and errors carried back
 * as the same documented `MS_*` errors. The main event loop keeps answering while a bomb inflates or a
 * large model parses; a worker that dies (out of memory, a crash) costs only its own load.
 */

import { Worker } from "node:worker_threads";
import { Errors, ModelServeError } from "../../errors.ts";
import { type LoadLimits, loadLimits } from "../load-limits.ts";
import { WORKER_BOOT, workerBootData } from "./worker-file.ts";

/** An error as the worker sends it. */
export interface WireError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
  readonly details?: unknown;
}

/** What a loader worker posts back. */
export type WorkerReply<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: WireError };

/** An error turned into something `postMessage` can carry (codes kept). */
export function toWire(err: unknown): WireError {
  if (err instanceof ModelServeError)
    return { code: err.code, statusCode: err.statusCode, message: err.message, details: err.details };
  return { message: err instanceof Error ? err.message : String(err) };
}

function fromWire(e: WireError, fileName: string): Error {
  if (e.code && e.statusCode) return new ModelServeError(e.code, e.statusCode, e.message, e.details);
  return Errors.invalidModel(fileName, e.message);
}

/** A started loader worker, kept warm between loads (module loading costs more than most loads). */
interface Slot {
  readonly worker: Worker;
  readonly memoryMb: number;
  /** Ends the worker once it has been idle for {@link WARM_IDLE_MS}. */
  expiry?: NodeJS.Timeout;
}

/**
 * How long an idle loader worker is kept warm. Loads come in bursts (startup, a repository sync, a
 * reload); between them a warm worker is an isolate of its own (~15 MB resident, measured on the iris
 * forest) that a server serving a fixed set of models never uses again.
 */
export const WARM_IDLE_MS = 5_000;

/** Idle workers by entry module: at most one kept per entry. */
const idle = new Map<string, Slot>();

/**
 * A worker that loaded a file larger than this is not kept warm: its heap grew with the load, and an
 * idle worker never collects it (a 120 MB forest left ~350 MB resident behind for good). Starting a
 * worker costs tens of milliseconds, nothing next to loading such a file.
 */
export const WARM_MAX_BYTES = 8 * 2 ** 20;

/** Loader workers kept warm (for tests). */
export const idleLoaderWorkers = (): number => idle.size;

function spawn(entry: URL, memoryMb: number): Slot {
  // Through a small boot script: the entry's prebuilt bundle and the compile cache (worker-file.ts).
  const worker = new Worker(WORKER_BOOT, {
    eval: true,
    workerData: workerBootData(entry),
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
  });
  return { worker, memoryMb };
}

function take(entry: URL, memoryMb: number): Slot {
  const slot = idle.get(entry.href);
  if (slot) {
    idle.delete(entry.href);
    clearTimeout(slot.expiry);
    if (slot.memoryMb === memoryMb) return slot;
    void slot.worker.terminate();
  }
  return spawn(entry, memoryMb);
}

function giveBack(entry: URL, slot: Slot): void {
  if (idle.has(entry.href)) {
    void slot.worker.terminate();
    return;
  }
  // An idle worker never keeps the process alive.
  slot.worker.unref();
  idle.set(entry.href, slot);
  slot.expiry = setTimeout(() => {
    if (idle.get(entry.href) !== slot) return;
    idle.delete(entry.href);
    void slot.worker.terminate();
  }, WARM_IDLE_MS);
  slot.expiry.unref();
}

/**
 * Runs one load in a loader worker of `entry` (a module URL that answers `{ok, result}` or
 * `{ok: false, error}` to each `{data, limits}` message) and waits for its reply. The worker has a
 * heap cap (`limits.memoryMb`); past `limits.timeoutMs` it is terminated and the load refused. A
 * worker that answered is kept warm for the next load; one that failed in any other way is discarded.
 */
export function runLoaderWorker<T>(
  entry: URL,
  data: Record<string, unknown>,
  fileName: string,
  limits: LoadLimits = loadLimits(),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const slot = take(entry, limits.memoryMb);
    const { worker } = slot;
    worker.ref();
    let settled = false;
    const finish = (fn: () => void, reuse: boolean) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      // A refused or failed load's memory goes with its worker; nothing of it stays in the process.
      if (reuse) giveBack(entry, slot);
      else void worker.terminate();
      fn();
    };
    const size = data.bytes instanceof Uint8Array ? data.bytes.byteLength : 0;
    const onMessage = (m: WorkerReply<T>) =>
      finish(() => (m.ok ? resolve(m.result) : reject(fromWire(m.error, fileName))), size <= WARM_MAX_BYTES);
    const onError = (err: Error & { code?: string }) =>
      finish(
        () =>
          reject(
            err.code === "ERR_WORKER_OUT_OF_MEMORY"
              ? Errors.loadBudgetExceeded(
                  fileName,
                  `loading needed more than the ${limits.memoryMb} MB heap budget (loadMemoryMb) and was stopped`,
                )
              : Errors.invalidModel(fileName, `the loader failed: ${err.message}`),
          ),
        false,
      );
    const onExit = (code: number) =>
      finish(
        () =>
          reject(Errors.invalidModel(fileName, `the loader stopped (exit code ${code}) without an answer`)),
        false,
      );
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(
            () =>
              finish(
                () =>
                  reject(
                    Errors.loadBudgetExceeded(
                      fileName,
                      `loading took longer than ${limits.timeoutMs} ms (loadTimeoutMs) and was stopped`,
                    ),
                  ),
                false,
              ),
            limits.timeoutMs,
          )
        : undefined;
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage({ data, limits });
  });
}

/**
 * The file's bytes in shared memory for a loader worker: posting them would copy them on the event loop
 * (structured clone: ~1 s for a 120 MB file); one memcpy here costs a few milliseconds and the worker
 * reads them in place.
 */
export function sharedCopy(bytes: Uint8Array): Uint8Array {
  // Large files are read into shared memory already (read-model-bytes.ts).
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/** The URL of a sibling module, `.ts` under type stripping and `.js` once built. */
export function siblingModule(here: string, name: string): URL {
  return new URL(here.endsWith(".ts") ? `./${name}.ts` : `./${name}.js`, here);
}
