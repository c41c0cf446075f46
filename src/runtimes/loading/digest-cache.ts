/**
 * @module Digests computed off the main thread: the loader worker hashes the bytes it was given, and
 * the file facts reuse that digest instead of hashing a large file again on the event loop.
 */

import { sha256Hex } from "../../util/hash.ts";

const known = new WeakMap<Uint8Array, string>();

/** Records the SHA-256 (hex) of exactly these bytes. */
export function rememberDigest(bytes: Uint8Array, hex: string): void {
  known.set(bytes, hex);
}

/** The SHA-256 (hex) of the bytes: the recorded one, else computed now. */
export function digestOf(bytes: Uint8Array): string {
  return known.get(bytes) ?? sha256Hex(bytes);
}
