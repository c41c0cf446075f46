/**
 * @module Log lines gathered for a few milliseconds and handed to pino's asynchronous file destination
 * (sonic-boom) as one write. sonic-boom alone measures the byte length of its whole pending buffer on
 * every write, which with an 8 kB buffer cost 3.5–4 µs of CPU per request line (`.prof` micro-bench:
 * 250-byte lines). Each line is encoded at once into an off-heap buffer: kept as strings until their
 * hand-over, the lines of the last few milliseconds were alive at every young-generation collection
 * of a busy server, which copied them (a line built from pieces is a tree of heap objects) — about a
 * third of what survived each collection (`--trace-gc-nvp`, iris forest at ~25 000 requests/s: 275–281
 * → 190 kB survived, 0.92–0.94 → 0.66–0.75 ms a collection, ~0.5 µs less a request).
 * Order is kept (one buffer for every line of the process), a line reaches the destination within
 * 25 ms, and everything still buffered is written synchronously when the process exits.
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
const HAND_OVER_BYTES = 64 * 1024;

/**
 * A line is encoded into the current buffer only when it surely fits: UTF-8 takes at most 3 bytes per
 * UTF-16 unit (a surrogate pair, 2 units, takes 4), so `3 × length` bytes of room is enough without
 * measuring the line first.
 */
const MAX_BYTES_PER_UNIT = 3;

/** The longest a line waits in the buffer when traffic is too light to fill {@link HAND_OVER_BYTES}. */
const HAND_OVER_MS = 25;

/** sonic-boom in buffer mode: it takes encoded bytes. */
type SonicBoomLike = Omit<ReturnType<typeof pino.destination>, "write"> & {
  write(data: Buffer): boolean;
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
    // Lines arrive already gathered and encoded, and are written at once. Not 0: with 0, sonic-boom's
    // flush(cb) calls back at once instead of when the writes under way are done.
    minLength: 1,
    maxLength: options.maxBufferedBytes ?? 64 * 2 ** 20,
    contentMode: "buffer",
  }) as unknown as SonicBoomLike;
  // The buffer being filled, and how much of it is. A buffer handed over as it is belongs to sonic-boom
  // until written, so that hand-over starts a new one (see handOver).
  let buf = Buffer.allocUnsafeSlow(HAND_OVER_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | undefined;
  let dropped = 0;
  sonic.on("drop", (data: Buffer) => {
    let lines = 0;
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
    dropped += lines;
  });

  const handOver = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (used === 0) return;
    // A mostly full buffer goes as it is; a few lines (a trickle, handed over by the timer) go as a
    // copy of their size, and the buffer is reused. A destination that stopped taking lines holds
    // what it was handed up to its bound, counted in bytes handed: a 64 kB buffer per line of a
    // trickle would make that bound hundreds of times the memory it says.
    let full: Buffer;
    if (used >= HAND_OVER_BYTES / 2) {
      full = buf.subarray(0, used);
      buf = Buffer.allocUnsafeSlow(HAND_OVER_BYTES);
    } else full = Buffer.from(buf.subarray(0, used));
    used = 0;
    try {
      sonic.write(full);
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
      if (chunk.length * MAX_BYTES_PER_UNIT > HAND_OVER_BYTES - used) {
        handOver();
        // Larger than a whole buffer (a huge error message): written on its own, in its turn.
        if (chunk.length * MAX_BYTES_PER_UNIT > HAND_OVER_BYTES) {
          try {
            sonic.write(Buffer.from(chunk, "utf8"));
          } catch {
            // A destroyed destination: as in handOver.
          }
          return true;
        }
      }
      // A full buffer is handed over by the first line that does not fit in it, or by the timer.
      used += buf.write(chunk, used);
      if (timer === undefined) {
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
