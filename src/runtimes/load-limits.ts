/**
 * @module The budgets of model loading, set once per process from the configuration: how long a load
 * may take and how much memory it may use (in the loader worker), how far a compressed file may
 * inflate, how many tree nodes a model may build and how deep its objects may nest. Runtimes read
 * them at load time; the server sets them before it loads anything.
 */

/** Budgets of one model load. */
export interface LoadLimits {
  /** Wall time of one load in the loader worker, in milliseconds (0: no limit). */
  readonly timeoutMs: number;
  /** Heap of the loader worker, in megabytes (its `resourceLimits.maxOldGenerationSizeMb`). */
  readonly memoryMb: number;
  /** A compressed file may inflate to at most this many times its size… */
  readonly maxInflateRatio: number;
  /** …and never beyond this many megabytes. */
  readonly maxInflateMb: number;
  /** Most tree nodes one model may build, counting each reference to a shared tree. */
  readonly maxTreeNodes: number;
  /** Deepest nesting of a model's objects and containers. */
  readonly maxDepth: number;
  /** Whether files are loaded in a worker thread (default true; false loads on the calling thread). */
  readonly worker: boolean;
  /**
   * Whether the loader worker puts a model's arrays in `SharedArrayBuffer`s, so that threads of the
   * inference pool bind the same memory (default false; the server turns it on unless every model runs
   * inline). It costs a copy of the arrays at load time.
   */
  readonly sharedMemory: boolean;
}

/** The defaults: generous for real models (a 1 GB forest loads), fatal for bombs. */
const DEFAULT_LOAD_LIMITS: LoadLimits = {
  timeoutMs: 300_000,
  memoryMb: 2048,
  maxInflateRatio: 100,
  maxInflateMb: 4096,
  maxTreeNodes: 20_000_000,
  maxDepth: 200,
  worker: true,
  sharedMemory: false,
};

let current: LoadLimits = DEFAULT_LOAD_LIMITS;

/** The budgets in force. */
export function loadLimits(): LoadLimits {
  return current;
}

/** Sets some budgets (the others keep their value); returns the previous ones, for tests to restore. */
export function setLoadLimits(limits: Partial<LoadLimits>): LoadLimits {
  const previous = current;
  current = { ...current, ...limits };
  return previous;
}

/**
 * Whether a load reads its file on the calling thread rather than in a loader worker: loader workers
 * are off, or the load asks for it (`inline`: a small startup file where no CPU is spare for a worker).
 */
export function loadsInline(options?: { readonly inline?: boolean }): boolean {
  return !current.worker || options?.inline === true;
}

/**
 * The most bytes a compressed file of `compressedBytes` may inflate to: the ratio times its size,
 * within the absolute cap (and never below 16 MiB, so small legitimate files compress as well as they can).
 */
export function inflateCap(compressedBytes: number, limits: LoadLimits = current): number {
  const absolute = limits.maxInflateMb * 1024 * 1024;
  return Math.min(absolute, Math.max(16 * 1024 * 1024, compressedBytes * limits.maxInflateRatio));
}

/** The budgets named by configuration keys (`loadTimeoutMs`, `loadMemoryMb`, …). */
export function loadLimitsFromConfig(c: {
  readonly loadTimeoutMs: number;
  readonly loadMemoryMb: number;
  readonly loadMaxInflateRatio: number;
  readonly loadMaxInflateMb: number;
  readonly loadMaxTreeNodes: number;
  readonly loadMaxDepth: number;
}): Partial<LoadLimits> {
  return {
    timeoutMs: c.loadTimeoutMs,
    memoryMb: c.loadMemoryMb,
    maxInflateRatio: c.loadMaxInflateRatio,
    maxInflateMb: c.loadMaxInflateMb,
    maxTreeNodes: c.loadMaxTreeNodes,
    maxDepth: c.loadMaxDepth,
  };
}
