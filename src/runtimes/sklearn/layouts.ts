/**
 * @module Layouts prepared in the loader worker: the expensive, data-sized work of building a tree
 * model (int64 node fields narrowed, the branch-free walk layout, per-leaf probabilities, packed forests,
 * the typical split values) done once off the event loop and handed to the main thread with the
 * unpickled value, so that the main thread's build only binds functions to arrays.
 *
 * One mechanism for every estimator: a builder asks {@link prepared} for a named layout of a pickled
 * object. In the worker (inside {@link recordLayouts}) the layout is computed and recorded; the worker
 * posts the records beside the value (`postMessage` keeps object identity within one message, so the
 * records stay keyed by the very objects the main thread receives) and moves their typed arrays.
 * The main thread {@link adoptLayouts adopts} them and the same builder call returns the recorded layout
 * after a cheap shape check, never trusting it blindly. With the worker off nothing is recorded and the
 * builder computes the layout itself: the same code, so the answers are the same.
 */

import type { PyObject } from "../../formats/pickle/py-objects.ts";
import { ConsistencyError } from "./checks.ts";

/** Layouts by pickled object, then by name: what the loader worker sends beside the value. */
export type Layouts = Map<PyObject, Map<string, unknown>>;

/** The worker's records while it builds; undefined elsewhere. */
let recording: Layouts | undefined;

/** Objects whose own state a recorded layout stands for entirely (see {@link prepared}'s `replacesState`). */
let replaced: Set<PyObject> | undefined;

/** Layouts received from the worker, by object (weak: they go when the value goes). */
const received = new WeakMap<PyObject, Map<string, unknown>>();

/**
 * Runs a build while recording every layout it prepares (the loader worker's dry run); returns its
 * result with the records. Then drops the state of the objects whose layouts stand for it (a tree's
 * int64 node records, its impurities…): the main thread never reads it, so it is not moved there to
 * be collected. One build at a time per thread, as the loader worker runs them.
 */
export async function recordLayouts<T>(build: () => Promise<T>): Promise<{ result: T; layouts: Layouts }> {
  const layouts: Layouts = new Map();
  const dropped = new Set<PyObject>();
  recording = layouts;
  replaced = dropped;
  try {
    const result = await build();
    for (const o of dropped) o.state = null;
    return { result, layouts };
  } finally {
    recording = undefined;
    replaced = undefined;
  }
}

/** Makes the worker's layouts available to the builds of the objects they are keyed by. */
export function adoptLayouts(layouts: Layouts | undefined): void {
  if (!(layouts instanceof Map)) return;
  for (const [o, byName] of layouts)
    if (typeof o === "object" && o !== null && byName instanceof Map) received.set(o, byName);
}

/**
 * The layout `name` of pickled object `o`: the one the loader worker prepared (after `fits`, a cheap
 * check of types and lengths against what it will be used with), else computed now by `compute` (and
 * recorded when the worker is building). `name` must say everything besides `o` that the layout depends on.
 * `replacesState`: every read of `o`'s own state happens in such computes (a Tree, a TreePredictor),
 * so the worker need not send that state.
 */
export function prepared<T>(
  o: PyObject,
  name: string,
  compute: () => T,
  fits: (v: unknown) => v is T,
  replacesState = false,
): T {
  const given = received.get(o);
  if (given?.has(name)) {
    // Kept after use: a later build of the same object (a lazy explainer's) shares the same arrays.
    const v = given.get(name);
    if (!fits(v)) throw new ConsistencyError(o.name, name, "the layout the loader prepared", "another shape");
    return v;
  }
  const v = compute();
  if (recording) {
    let byName = recording.get(o);
    if (!byName) {
      byName = new Map();
      recording.set(o, byName);
    }
    byName.set(name, v);
    if (replacesState) replaced?.add(o);
  }
  return v;
}

/** Whether `v` is a typed array of class `type`, of `length` elements when given. */
export function isArrayOf<A extends ArrayBufferView & { readonly length: number }>(
  v: unknown,
  type: abstract new (...args: never[]) => A,
  length?: number,
): v is A {
  return v instanceof type && (length === undefined || v.length === length);
}

/** Whether `v` is an object (a record of a layout). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}
