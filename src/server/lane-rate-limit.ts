/**
 * @module The fast lane's side of a rate limit: one hit counted in the store the Fastify plugin counts
 * in (`plugins/access.ts`), and what `@fastify/rate-limit` then does to the request — its draft-spec
 * headers on every answer, and past the limit the 429 — so that a request answered by the lane looks
 * and counts as one answered by Fastify.
 */

import type { HitResult } from "./cluster-hooks.ts";
import { type RateLimit, rateLimitRefusal } from "./plugins/access.ts";

/** What the rate limit says of one request: its headers, and the refusal past the limit. */
export interface Verdict {
  readonly headers: readonly string[];
  readonly refusal?: Error;
}

/** The verdict without a rate limit: no headers, no refusal. */
export const UNLIMITED: Verdict = { headers: [] };

/** One hit of `key`, as a promise (the store calls back at once in memory, later across workers). */
export function count(limit: RateLimit, key: string): Promise<HitResult> {
  const counted = new Promise<HitResult>((resolve, reject) =>
    limit.hit(key, (err, r) => (err || r === undefined ? reject(err ?? new Error("no count")) : resolve(r))),
  );
  // Awaited once the body has arrived; a client gone before that leaves no unhandled rejection.
  counted.catch(() => undefined);
  return counted;
}

/**
 * The headers and refusal `@fastify/rate-limit` (draft-spec names) gives a request with this count:
 * limit, remaining and reset seconds on every answer; past the limit, remaining 0, `Retry-After` and
 * the 429. A store that failed refuses with its error, as the plugin does.
 */
export async function verdictOf(counted: Promise<HitResult>, max: number): Promise<Verdict> {
  let r: HitResult;
  try {
    r = await counted;
  } catch (err) {
    return { headers: [], refusal: err as Error };
  }
  const reset = String(Math.ceil(r.ttl / 1000));
  if (r.current <= max)
    return {
      headers: [
        "ratelimit-limit",
        String(max),
        "ratelimit-remaining",
        String(max - r.current),
        "ratelimit-reset",
        reset,
      ],
    };
  return {
    headers: [
      "ratelimit-limit",
      String(max),
      "ratelimit-remaining",
      "0",
      "ratelimit-reset",
      reset,
      "retry-after",
      reset,
    ],
    refusal: rateLimitRefusal(max, r.ttl),
  };
}
