/**
 * @module The typed arrays inside a value, and the buffers `postMessage` can move (not copy) between
 * threads.
 */

/** Every distinct typed array (or DataView) reachable from `root` through objects, arrays and maps. */
export function viewsIn(root: unknown): ArrayBufferView[] {
  const seen = new Set<unknown>();
  const out: ArrayBufferView[] = [];
  const stack: object[] = typeof root === "object" && root !== null ? [root] : [];
  // Only objects are pushed: the values walked are mostly numbers (lists, scalars, tree fields).
  const push = (x: unknown) => {
    if (typeof x === "object" && x !== null) stack.push(x);
  };
  while (stack.length > 0) {
    const v = stack.pop() as object;
    if (seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) out.push(v);
    else if (v instanceof Map)
      for (const [k, x] of v) {
        push(k);
        push(x);
      }
    else if (Array.isArray(v)) for (const x of v) push(x);
    else for (const x of Object.values(v)) push(x);
  }
  return out;
}

/** Every distinct, transferable ArrayBuffer reachable from `root` (typed arrays inside objects, arrays, maps). */
export function transferables(root: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of viewsIn(root)) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

/**
 * Replaces, in place, every reference reachable from `root` (through plain objects, arrays and maps) to a
 * typed array that is a key of `moved` by its value.
 */
export function replaceViews(root: unknown, moved: ReadonlyMap<ArrayBufferView, ArrayBufferView>): void {
  const rewritten = new Set<unknown>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== "object" || v === null || rewritten.has(v) || ArrayBuffer.isView(v)) continue;
    rewritten.add(v);
    // Numbers and strings (most of what is walked) are neither moved nor walked into.
    if (v instanceof Map) {
      for (const [k, x] of v) {
        if (typeof k === "object" && k !== null) todo.push(k);
        if (typeof x !== "object" || x === null) continue;
        const to = moved.get(x as ArrayBufferView);
        if (to) v.set(k, to);
        else todo.push(x);
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x !== "object" || x === null) continue;
        const to = moved.get(x as ArrayBufferView);
        if (to) v[i] = to;
        else todo.push(x);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x !== "object" || x === null) continue;
        const to = moved.get(x as ArrayBufferView);
        if (to) o[k] = to;
        else todo.push(x);
      }
    }
  }
}

/** Where a result carries its own transfer list (a symbol: structured cloning leaves it behind). */
const TRANSFER = Symbol("transfer list");

/**
 * `result` with its transfer list attached (the buffers it holds, as {@link transferables} would find
 * them), so that posting it needs no walk of its own. Returns `result`.
 */
export function withTransferList<T extends object>(result: T, list: ArrayBuffer[]): T {
  (result as Record<symbol, unknown>)[TRANSFER] = list;
  return result;
}

/** The transfer list attached by {@link withTransferList}, if any. */
export function transferListOf(result: unknown): ArrayBuffer[] | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  return (result as Record<symbol, ArrayBuffer[] | undefined>)[TRANSFER];
}
