/**
 * @module The typed arrays inside a value, and the buffers `postMessage` can move (not copy) between
 * threads.
 */

/** Every distinct typed array (or DataView) reachable from `root` through objects, arrays and maps. */
export function viewsIn(root: unknown): ArrayBufferView[] {
  const seen = new Set<unknown>();
  const out: ArrayBufferView[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) out.push(v);
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else for (const x of Object.values(v)) stack.push(x);
  }
  return out;
}

/** Every distinct, transferable ArrayBuffer reachable from `root` (typed arrays inside objects, arrays, maps). */
export function transferables(root: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of viewsIn(root)) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}
