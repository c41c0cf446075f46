/**
 * @module The small typed arrays of a loader worker's result gathered into a few buffers before they are
 * moved to the main thread: receiving a message costs the event loop per transferred buffer far more
 * than per view (9 000 separate buffers: ~40 ms; the same arrays as views of one buffer: ~11 ms).
 */

import { viewsIn } from "./transfer.ts";

/** A typed array. */
type View = ArrayBufferView & { readonly length: number; readonly BYTES_PER_ELEMENT: number };

/** A typed array's constructor (to make the view of the packed copy). */
type ViewClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => View;

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

/**
 * Copies the small typed arrays (up to 16 kB) reachable from `root` (in plain objects, arrays and maps)
 * into a few `ArrayBuffer`s of up to 64 MB and puts views of them in their places, in place: an array reached
 * twice stays one array (the same view), and each view is aligned for its element type. Does nothing
 * when there are fewer than 64 such arrays. Returns `root`.
 */
export function packArrays<T>(root: T): T {
  const found = new Map<View, View>();
  for (const v of viewsIn(root))
    if (!(v instanceof DataView) && v.byteLength <= MAX_PACKED) found.set(v as View, v as View);
  if (found.size < MIN_ARRAYS) return root;
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
    const buffer = new ArrayBuffer(align(bytes));
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
  const rewritten = new Set<unknown>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== "object" || v === null || rewritten.has(v) || ArrayBuffer.isView(v)) continue;
    rewritten.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        const moved = found.get(x as View);
        if (moved) v.set(k, moved);
        else todo.push(k, x);
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const moved = found.get(v[i] as View);
        if (moved) v[i] = moved;
        else todo.push(v[i]);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const moved = found.get(o[k] as View);
        if (moved) o[k] = moved;
        else todo.push(o[k]);
      }
    }
  }
  return root;
}

/** The next multiple of 8 (every element type's alignment). */
function align(n: number): number {
  return Math.ceil(n / 8) * 8;
}
