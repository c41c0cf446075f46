/**
 * @module When the fast lane (`fast-lane.ts`) cannot serve an app at all: settings whose work lives in
 * Fastify hooks the lane would skip, and hooks a host added to the root instance.
 */

import type { AppContext } from "./context.ts";

// Fastify keeps an instance's hooks under this symbol (lib/symbols.js); not public, so a Fastify
// without it is taken to have hooks (no lane) rather than guessed at.
const HOOKS = "fastify.hooks";
const LIFECYCLE = [
  "onRequest",
  "preParsing",
  "preValidation",
  "preHandler",
  "preSerialization",
  "onSend",
  "onResponse",
  "onError",
  "onTimeout",
  "onRequestAbort",
  // A host's `onRoute` hook may add hooks to our routes themselves.
  "onRoute",
];

/** Whether a Fastify instance has request hooks of its own (a host's, which the lane would skip). */
export function hasRequestHooks(instance: object): boolean {
  const sym = Object.getOwnPropertySymbols(instance).find((s) => s.description === HOOKS);
  const hooks = sym === undefined ? undefined : (instance as Record<symbol, unknown>)[sym];
  if (hooks === null || typeof hooks !== "object") return true;
  return LIFECYCLE.some((h) => {
    const list = (hooks as Record<string, unknown>)[h];
    return !Array.isArray(list) || list.length > 0;
  });
}

/**
 * Why the lane cannot serve an app, or undefined when it can: turned off, a prefix, and request hooks a
 * host added to the root instance.
 */
export function laneRefusal(
  root: object,
  settings: AppContext["settings"],
  prefix: string,
): string | undefined {
  if (settings.fastLane === false) return "turned off (fastLane: false)";
  if (prefix !== "") return "registered under a prefix";
  if (hasRequestHooks(root)) return "the Fastify instance has request hooks of its own";
  return undefined;
}
