/**
 * @module A ceiling on V8's young generation in a serving process. V8 doubles the young generation
 * each time the bytes that survived its scavenges since the last doubling exceed its size, and a
 * server that answers requests a little later than it reads them (micro-batching holds every
 * concurrent request until its batch runs) always has a few hundred kB alive at a scavenge: under
 * sustained load the young generation grows to V8's maximum (64–128 MB on a large machine) and stays
 * resident. Measured on the iris forest, single rows at 32 connections: ~200 kB survive each scavenge
 * (a Fastify constant reply: 2 kB); the young generation went 16 → 128 MB and resident memory past
 * 200 MB, with no gain in throughput over a 16 MB ceiling.
 *
 * `--max-semi-space-size` would do it, but only at start (a Node option, not settable from inside the
 * process); the growth factor, which V8 reads each time it grows the space, is: this sets it to 1
 * (no growth) once a doubling would pass the ceiling, and back to V8's 2 when the space is small
 * enough again (V8 shrinks it when allocation slows, and it must be able to grow back).
 */

import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** V8's own growth factor (its default). */
const V8_GROWTH = 2;

/** Node options that size the young generation themselves: given one, the ceiling stays off. */
const SIZING_FLAGS = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/** The young generation's size (both semi-spaces), bytes. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

let watching = (): boolean => false;

/** Whether the ceiling watches each collection now (growth on), rather than a slow timer (tests). */
export function watchingCollections(): boolean {
  return watching();
}

/** While growth is off, how often the space is looked at again (ms): to give growth back once V8 shrank it. */
const CAPPED_CHECK_MS = 1000;

/**
 * Keeps the young generation at or under `mb` megabytes from now on (0: leaves V8's sizing alone, as
 * does a sizing option given to Node on its command line or in `NODE_OPTIONS`). Returns a function that
 * stops it and gives V8 its growth back. While growth is on it looks again after each collection (a
 * `gc` performance observer, which keeps nothing alive): the space grows only in a collection, and
 * never twice in one unless a single synchronous stretch of work keeps several times its size alive.
 * Once growth is off the space cannot grow, so the observer is let go (Node builds an entry object per
 * collection for it: ~0.2 µs of each single-row request under load) and a once-a-second timer looks
 * for V8 having shrunk the space; until it does, growth simply stays off.
 */
export function capYoungGeneration(
  mb: number,
  nodeOptions: string = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" "),
): () => void {
  if (mb <= 0 || SIZING_FLAGS.test(nodeOptions)) return () => undefined;
  const ceiling = mb * 2 ** 20;
  let growth = V8_GROWTH;
  const setGrowth = (factor: number) => {
    if (factor === growth) return;
    growth = factor;
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  };
  let observer: PerformanceObserver | undefined;
  let timer: NodeJS.Timeout | undefined;
  watching = () => observer !== undefined;
  // Growth only while the next doubling stays within the ceiling; each collection watched only then.
  const check = () => {
    const grows = youngGenerationBytes() * V8_GROWTH <= ceiling;
    setGrowth(grows ? V8_GROWTH : 1);
    if (grows && observer === undefined) {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      observer = new PerformanceObserver(check);
      observer.observe({ type: "gc" });
    } else if (!grows && timer === undefined) {
      observer?.disconnect();
      observer = undefined;
      timer = setInterval(check, CAPPED_CHECK_MS);
      timer.unref();
    }
  };
  check();
  return () => {
    observer?.disconnect();
    if (timer !== undefined) clearInterval(timer);
    setGrowth(V8_GROWTH);
  };
}
