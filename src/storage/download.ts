/**
 * @module Downloading one object to a temporary file: streamed, hashed (sha256) as it arrives, bounded
 * in size, cut when no byte arrives for the idle timeout, flushed to disk before it is handed over, and
 * reported (bytes, rate, ETA) while it runs. Requests are retried with exponential backoff and jitter.
 */

import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { Errors, isModelServeError } from "../errors.ts";
import { type GetResult, type ObjectInfo, RetryableError } from "./store.ts";

/** Limits of one transfer. */
export interface TransferLimits {
  /** Largest object, in bytes. */
  readonly maxBytes: number;
  /** A request, or a body receiving nothing, for longer than this fails (ms). */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
}

/** Progress of a running download. */
export interface Progress {
  readonly source: string;
  readonly bytes: number;
  readonly total?: number;
  readonly bytesPerSecond: number;
  /** Seconds left, when the total is known. */
  readonly etaSeconds?: number;
}

/** A finished download. */
export interface Downloaded {
  readonly size: number;
  readonly sha256: string;
  readonly info: ObjectInfo;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * Runs `attempt` with a fresh abort signal per try, retrying {@link RetryableError}s (and timeouts)
 * with backoff 250 ms × 2^n ± 50 %. The last failure becomes `MS_STORAGE_UNREACHABLE`.
 */
export async function withRetries<T>(
  where: string,
  limits: TransferLimits,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let last: unknown;
  for (let n = 0; n <= limits.retries; n++) {
    if (n > 0) await sleep(250 * 2 ** (n - 1) * (0.5 + Math.random()));
    const controller = new AbortController();
    try {
      return await attempt(controller.signal);
    } catch (err) {
      controller.abort();
      if (isModelServeError(err)) throw err;
      last = err;
    }
  }
  const why = last instanceof Error ? last.message : String(last);
  throw Errors.storageUnreachable(where, `${why} (after ${limits.retries + 1} attempts)`);
}

/**
 * Streams a body into `file` (created, never appended to): sha256 and size computed on the way,
 * `maxBytes` enforced, the idle timeout armed between chunks, fsync before returning.
 */
export async function writeBody(
  got: Exclude<GetResult, "not-modified">,
  file: string,
  where: string,
  limits: TransferLimits,
  signal: AbortSignal,
  onProgress?: (p: Progress) => void,
): Promise<Downloaded> {
  const total = got.info.size;
  if (total !== undefined && total > limits.maxBytes) {
    got.body.destroy();
    throw Errors.storageTooLarge(where, total, limits.maxBytes);
  }
  const hash = createHash("sha256");
  const fh = await open(file, "wx");
  let bytes = 0;
  const started = Date.now();
  let lastReport = started;
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => got.body.destroy(new RetryableError(`no data for ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
  };
  const abort = () => got.body.destroy(new RetryableError("aborted"));
  signal.addEventListener("abort", abort, { once: true });
  try {
    arm();
    for await (const chunk of got.body as AsyncIterable<Buffer>) {
      arm();
      bytes += chunk.length;
      if (bytes > limits.maxBytes) throw Errors.storageTooLarge(where, bytes, limits.maxBytes);
      hash.update(chunk);
      await fh.write(chunk);
      const now = Date.now();
      if (onProgress && now - lastReport >= 1000) {
        lastReport = now;
        const rate = bytes / Math.max((now - started) / 1000, 1e-3);
        onProgress({
          source: where,
          bytes,
          total,
          bytesPerSecond: rate,
          etaSeconds: total !== undefined ? (total - bytes) / Math.max(rate, 1) : undefined,
        });
      }
    }
    // A connection cut mid-body ends the stream early: the length tells.
    if (total !== undefined && bytes !== total)
      throw new RetryableError(`truncated: ${bytes} of ${total} bytes arrived`);
    await fh.sync();
    return { size: bytes, sha256: hash.digest("hex"), info: got.info };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(file, { force: true });
    if (isModelServeError(err) || err instanceof RetryableError) throw err;
    throw new RetryableError((err as Error).message, err);
  } finally {
    clearTimeout(idle);
    signal.removeEventListener("abort", abort);
    await fh.close().catch(() => undefined);
  }
}
