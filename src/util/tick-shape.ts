/**
 * @module Keeps the shape of Node's `process.nextTick` entries alive for the life of the process.
 *
 * Node builds each queued tick as an object literal keyed by its own symbols (`{ [asyncId]: …,
 * [triggerId]: …, [contextFrame]: …, callback, args }`). Such a literal has no prebuilt template, so
 * V8 reaches its hidden class by a chain of transitions from the plain `{}` class, and V8 holds
 * those transitions weakly: a full collection that finds no tick object alive drops the chain, and
 * the next tick builds a new one. `nextTick`'s inline caches see each new chain as new classes; after
 * four they give up (megamorphic) and every tick from then on defines its five properties through
 * the runtime instead of inline stores. A server's start runs several full collections between
 * ticks (reading a model frees its parse), so modelserve reached that state before its first
 * request: measured on single-row requests, `nextTick` took ~12 % of the process's CPU (2 % in a
 * Fastify server that had not), ~0.4 µs a call against ~0.08, five to six calls a request.
 *
 * Holding one tick object keeps its class, and by the class's parent links the whole chain, alive:
 * later ticks reuse it and the caches stay monomorphic. One small object; nothing else changes.
 * Call it early, before a model is read: caches already given up stay so.
 */

import { executionAsyncResource } from "node:async_hooks";

/** The tick object held (one per process; `undefined` until its tick ran). */
let held: object | undefined;
let asked = false;

/**
 * Holds one `process.nextTick` entry for the life of the process (see the module comment): queues a
 * tick whose callback keeps the entry it runs as (`executionAsyncResource()` inside a tick is the
 * tick's own object). Idempotent.
 */
export function holdTickShape(): void {
  if (asked) return;
  asked = true;
  process.nextTick(() => {
    held = executionAsyncResource();
  });
}

/** The tick object {@link holdTickShape} holds, once its tick ran (tests). */
export function heldTick(): object | undefined {
  return held;
}
