/**
 * @module The inference pool's public shapes: what a binding serves, the pool's options, its counts
 * for `/metrics`, and what a thread holds.
 */

/** Which model version a binding serves (for errors). */
export interface PoolLabel {
  readonly name: string;
  readonly version: string;
}

/** What the pool is doing, for `/metrics`. */
export interface PoolStats {
  /** Threads started (0 until a model is bound eagerly or a first call comes). */
  readonly threads: number;
  /** Threads running a call. */
  readonly busy: number;
  /** Calls waiting for a thread. */
  readonly queued: number;
  /** Model versions bound on the threads. */
  readonly models: number;
  /** Calls run on the pool since start. */
  readonly calls: number;
  /** Threads replaced after they stopped. */
  readonly replaced: number;
  /** Times the threads were stopped for want of calls (see `idleMs`). */
  readonly retired: number;
}

/** Options of an `InferencePool`. */
export interface PoolOptions {
  /** The threads' nice value on Linux (default 0: the event loop's priority). */
  readonly nice?: number;
  /**
   * Each thread's heap budget in MB (default {@link THREAD_HEAP_MB}); a thread that exceeds it stops
   * alone, failing its call, and is replaced.
   */
  readonly heapMb?: number;
  /**
   * Stops every thread once none has had a call for this long, in ms (0, the default: never), unless a
   * model was bound eagerly (forced onto the pool). Models recorded lazily stay recorded: the next call
   * that starts the threads binds them again.
   */
  readonly idleMs?: number;
}

/** Heap of one pool thread, in MB: tables and answers are typed arrays and the model's arrays shared, both outside it. */
export const THREAD_HEAP_MB = 2048;

/** What one thread holds (for leak checks and tests). */
export interface ThreadHeld {
  /** Ids of the models bound on it. */
  readonly ids: number[];
  /** For each: whether every array of its recipe reached the thread as shared memory, not a copy. */
  readonly sharedOnly: boolean[];
  /** Bytes in the thread's own `ArrayBuffer`s, live or awaiting collection (shared memory not counted). */
  readonly arrayBuffers: number;
}
