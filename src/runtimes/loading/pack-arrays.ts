/**
 * @module The small typed arrays of a loader worker's result gathered into a few buffers before they are
 * moved to the main thread: receiving a message costs the event loop per transferred buffer far more
 * than per view (9 000 separate buffers: ~40 ms; the same arrays as views of one buffer: ~11 ms).
 */

import { replaceViews, viewsIn } from "./transfer.ts";

/** A typed array. */
type View = ArrayBufferView & { readonly length: number; readonly BYTES_PER_ELEMENT: number };

/** A typed array's constructor (to make the view of the packed copy). */
type ViewClass = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => View;

/** Fewer arrays than this are not worth packing. */
const MIN_ARRAYS = 64;
/**
 * Arrays larger than this move on their own. Small arrays are many (where the receipt's cost is) and
 * few bytes; copying large ones would save little, and the originals, freed in the worker, stay in its
 * allocator's pools: packing every array under 1 MB left a 108 MB forest's process 90 MB larger, under
 * 16 kB 18 MB (and a 3 500-tree HistGradientBoosting's receipt from ~100 ms to ~50 ms).
 */
const MAX_PACKED = 16 << 10;
/** Most bytes of one packed buffer. */
const ARENA_BYTES = 64 << 20;

/** Options of {@link packArrays}. */
export interface PackOptions {
  /**
   * Copy every typed array not already in shared memory, whatever its size or number, into
   * `SharedArrayBuffer`s: the model's memory then stays one copy however many threads bind it (a
   * structured clone shares a `SharedArrayBuffer` instead of copying it). Default false.
   */
  readonly shared?: boolean;
  /**
   * Filled with every `ArrayBuffer` the result holds once packed (the arenas and the buffers of the
   * arrays left as they were): the transfer list `postMessage` needs, without walking the result again.
   */
  readonly transfer?: ArrayBuffer[];
}

/**
 * Copies the small typed arrays (up to 16 kB) reachable from `root` (in plain objects, arrays and maps)
 * into a few `ArrayBuffer`s of up to 64 MB and puts views of them in their places, in place: an array reached
 * twice stays one array (the same view), and each view is aligned for its element type. Does nothing
 * when there are fewer than 64 such arrays. With `shared`, every array goes to `SharedArrayBuffer`s
 * instead (see {@link PackOptions}). Returns `root`.
 */
export function packArrays<T>(root: T, options: PackOptions = {}): T {
  const shared = options.shared === true;
  const found = new Map<View, View>();
  // With a transfer list asked for: the buffers the result holds once packed (the arrays that stay as
  // they are, and the arenas).
  const kept = options.transfer ? new Set<ArrayBuffer>() : undefined;
  for (const v of viewsIn(root)) {
    if (
      !(v instanceof DataView) &&
      (shared ? !(v.buffer instanceof SharedArrayBuffer) : v.byteLength <= MAX_PACKED)
    )
      found.set(v as View, v as View);
    else if (kept && v.buffer instanceof ArrayBuffer) kept.add(v.buffer);
  }
  if (found.size === 0 || (!shared && found.size < MIN_ARRAYS)) {
    if (kept) {
      for (const v of found.keys()) if (v.buffer instanceof ArrayBuffer) kept.add(v.buffer);
      options.transfer!.push(...kept);
    }
    return root;
  }
  // Arenas filled in order: each array goes to the current one, or starts the next when it is full.
  const arrays = [...found.keys()];
  let first = 0;
  while (first < arrays.length) {
    let end = first;
    let bytes = 0;
    while (end < arrays.length && (end === first || align(bytes) + arrays[end].byteLength <= ARENA_BYTES)) {
      bytes = align(bytes) + arrays[end].byteLength;
      end++;
    }
    const buffer = shared ? new SharedArrayBuffer(align(bytes)) : new ArrayBuffer(align(bytes));
    if (kept && buffer instanceof ArrayBuffer) kept.add(buffer);
    const raw = new Uint8Array(buffer);
    let at = 0;
    for (let i = first; i < end; i++) {
      const a = arrays[i];
      at = align(at);
      raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      found.set(a, new (a.constructor as ViewClass)(buffer, at, a.length));
      at += a.byteLength;
    }
    first = end;
  }
  // Second walk: each reference to an old array now points at its view.
  replaceViews(root, found);
  if (kept) options.transfer!.push(...kept);
  return root;
}

/** The next multiple of 8 (every element type's alignment). */
function align(n: number): number {
  return Math.ceil(n / 8) * 8;
}
