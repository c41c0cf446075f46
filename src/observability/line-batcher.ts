/**
 * @module Log lines gathered for a few milliseconds and handed to pino's asynchronous file destination
 * (sonic-boom) as one string. sonic-boom alone measures the byte length of its whole pending buffer on
 * every write, which with an 8 kB buffer cost 3.5–4 µs of CPU per request line (`.prof` micro-bench:
 * 250-byte lines); joining lines first costs a push per line and one concatenation per write.
 * Order is kept (one queue for every line of the process), a line reaches the destination within
 * 25 ms, and everything still queued is written synchronously when the process exits.
 */

import { openSync } from "node:fs";
import pino from "pino";

/** A line destination with the methods pino and the request log use. */
export interface LineDestination {
  /** Queues one or more complete lines; never blocks. */
  write(chunk: string): boolean;
  /** Hands the queued lines over now; `cb` runs once they and every earlier line are written. */
  flush(cb?: (err?: Error | null) => void): void;
  /**
   * Writes everything queued before returning (exit paths). Never throws. A write already under way
   * is not waited for: an orderly exit waits with {@link LineDestination.flush} first.
   */
  flushSync(): void;
  /** Lines dropped because the destination stopped taking them (a reader that never reads). */
  readonly dropped: number;
}

/** Options of {@link batchedDestination}. */
export interface BatchedDestinationOptions {
  /** A file descriptor (1 = stdout) or a file path to append to. */
  readonly dest: number | string;
  /**
   * Bytes the destination may hold unwritten before new lines are dropped (a log reader that stopped
   * reading must not grow the heap without bound). Default 64 MiB.
   */
  readonly maxBufferedBytes?: number;
}

/**
 * Characters queued before they are handed over as one write. Each write wakes a thread-pool thread:
 * ~16 µs of the event loop's time in a quiet process, ~120 µs measured in a server pinned to one CPU
 * (the woken thread preempts the loop). 64 kB is ~250 request lines: under 0.5 µs a line.
 */
const HAND_OVER_CHARS = 64 * 1024;

/** The longest a line waits in the queue when traffic is too light to fill {@link HAND_OVER_CHARS}. */
const HAND_OVER_MS = 25;

type SonicBoomLike = ReturnType<typeof pino.destination> & {
  minLength: number;
  flushSync(): void;
  flush(cb?: (err?: Error | null) => void): void;
};

/** What runs at process exit: every destination's queued lines written, in creation order. */
const exitFlushes: (() => void)[] = [];

function atExit(flush: () => void): void {
  // One listener for every destination (tests and libraries may build many loggers). It writes
  // synchronously whatever pino's own exit hook (which flushes sonic-boom) has not been handed yet.
  if (exitFlushes.length === 0)
    process.on("exit", () => {
      for (const f of exitFlushes) f();
    });
  exitFlushes.push(flush);
}

/** Builds the process's log destination (see the module comment). */
export function batchedDestination(options: BatchedDestinationOptions): LineDestination {
  // A file is opened here, synchronously: lines queued before an asynchronous open completes could not
  // be written by an exit that comes first.
  const fd = typeof options.dest === "number" ? options.dest : openSync(options.dest, "a");
  const sonic = pino.destination({
    dest: fd,
    sync: false,
    // Lines arrive already gathered and are written at once. Not 0: with 0, sonic-boom's flush(cb)
    // calls back at once instead of when the writes under way are done.
    minLength: 1,
    maxLength: options.maxBufferedBytes ?? 64 * 2 ** 20,
  }) as SonicBoomLike;
  let queue: string[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let dropped = 0;
  sonic.on("drop", (data: string) => {
    let lines = 0;
    for (let i = data.indexOf("\n"); i !== -1; i = data.indexOf("\n", i + 1)) lines++;
    dropped += lines;
  });

  const handOver = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) return;
    const text = queue.length === 1 ? queue[0] : queue.join("");
    queue = [];
    queued = 0;
    try {
      sonic.write(text);
    } catch {
      // A destroyed destination (closed at exit): the lines have nowhere to go.
    }
  };

  const flushSync = (): void => {
    // The queued lines must be written here, not start an asynchronous write that an exit would cut:
    // with a threshold no hand-over reaches, sonic-boom only buffers them, and flushSync writes them.
    const min = sonic.minLength;
    sonic.minLength = Number.MAX_SAFE_INTEGER;
    try {
      handOver();
      sonic.flushSync();
    } catch {
      // EPIPE, a closed or destroyed destination: at exit there is nothing left to report to.
    } finally {
      sonic.minLength = min;
    }
  };
  atExit(flushSync);

  return {
    write(chunk: string): boolean {
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= HAND_OVER_CHARS) handOver();
      else if (timer === undefined) {
        timer = setTimeout(handOver, HAND_OVER_MS);
        timer.unref();
      }
      return true;
    },
    flush(cb) {
      handOver();
      sonic.flush(cb);
    },
    flushSync,
    get dropped() {
      return dropped;
    },
  };
}
