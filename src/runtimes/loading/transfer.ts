/**
 * @module The buffers inside a value, for `postMessage` to move (not copy) them between threads.
 */

/** Every distinct, transferable ArrayBuffer reachable from `root` (typed arrays inside objects, arrays, maps). */
export function transferables(root: unknown): ArrayBuffer[] {
  const seen = new Set<unknown>();
  const out = new Set<ArrayBuffer>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const x of Object.values(v)) stack.push(x);
  }
  return [...out];
}
