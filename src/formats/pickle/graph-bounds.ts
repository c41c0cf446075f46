/**
 * @module Shape checks on an unpickled object graph, before anything walks it recursively: a value
 * that contains itself is refused as a cycle, nesting beyond a depth as too deep. The walk is
 * iterative, so a hostile graph is refused by a clear error, never by a stack overflow.
 */

import type { PyValue } from "./py-objects.ts";

/** Why a graph was refused. */
export class GraphError extends Error {
  readonly reason: "cycle" | "depth";
  constructor(reason: "cycle" | "depth", message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Default deepest nesting of containers and objects (real fitted models stay well under 60). */
export const DEFAULT_MAX_DEPTH = 200;

/** The values directly inside a value (container items, object arguments and state, object-array items). */
function children(v: PyValue): readonly PyValue[] {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return [];
  if (Array.isArray(v)) return v;
  switch (v.kind) {
    case "tuple":
    case "set":
      return v.items;
    case "dict": {
      const out: PyValue[] = [...v.map.values()];
      for (const [k, x] of v.otherEntries) out.push(k, x);
      return out;
    }
    case "object":
      return v.args.length === 0 ? [v.state] : [...v.args, v.state];
    case "ndarray":
      return Array.isArray(v.data) ? v.data : [];
    default:
      return [];
  }
}

/** A short name of a value for messages (`Pipeline`, `list`, …). */
function label(v: PyValue): string {
  if (Array.isArray(v)) return "list";
  if (typeof v === "object" && v !== null && !(v instanceof Uint8Array))
    return v.kind === "object" ? v.name : v.kind;
  return typeof v;
}

/**
 * Refuses cycles and values nested more than `maxDepth` levels (the height of the graph, counted
 * through shared values too, so no recursive walk from the root can go deeper). Shared values (the
 * pickle memo) are visited once, so the walk is linear in the number of distinct values.
 */
export function checkGraph(root: PyValue, maxDepth: number = DEFAULT_MAX_DEPTH): void {
  // A value on the current path maps to -1; a finished one to its height.
  const height = new Map<object, number>();
  const stack: { v: object; kids: readonly PyValue[]; i: number; h: number }[] = [];
  const tooDeep = (v: PyValue) =>
    new GraphError(
      "depth",
      `values nest more than ${maxDepth} levels deep (at a ${label(v)}; the configured limit)`,
    );
  const enter = (v: PyValue): void => {
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) return;
    const h = height.get(v);
    if (h === -1)
      throw new GraphError(
        "cycle",
        `a ${label(v)} contains itself (a reference cycle), which no model needs`,
      );
    const parent = stack[stack.length - 1];
    if (h !== undefined) {
      if (parent && h > parent.h) parent.h = h;
      return;
    }
    if (stack.length >= maxDepth) throw tooDeep(v);
    height.set(v, -1);
    stack.push({ v, kids: children(v), i: 0, h: 0 });
  };
  enter(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i < top.kids.length) {
      enter(top.kids[top.i++]);
      continue;
    }
    stack.pop();
    const h = top.h + 1;
    if (h > maxDepth) throw tooDeep(top.v as PyValue);
    height.set(top.v, h);
    const parent = stack[stack.length - 1];
    if (parent && h > parent.h) parent.h = h;
  }
}
