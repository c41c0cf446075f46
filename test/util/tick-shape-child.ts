/**
 * Child of tick-shape.test.ts, run with `--expose-gc --allow-natives-syntax`: holds the tick shape or
 * not (argv[2] "hold" | "none"), runs rounds of ticks each followed by a full collection (a server's
 * start: models read between ticks), then prints V8's view of `process.nextTick` (its inline
 * caches' states) and a JSON line describing the held tick object.
 */
import { heldTick, holdTickShape } from "../../src/util/tick-shape.ts";

if (process.argv[2] === "hold") holdTickShape();
const noop = (_i: number) => undefined;
for (let round = 0; round < 8; round++) {
  for (let i = 0; i < 20; i++) process.nextTick(noop, i);
  await new Promise((r) => setImmediate(r));
  (globalThis as unknown as { gc: () => void }).gc();
}
// Natives syntax is not TypeScript: eval'd, it reaches V8's parser (which the flag opens) directly.
// biome-ignore lint/security/noGlobalEval: a V8 intrinsic for the test, never in the product
eval("%DebugPrint(process.nextTick)");
const tick = heldTick() as Record<string | symbol, unknown> | undefined;
process.stdout.write(
  `\nHELD ${
    tick === undefined
      ? "undefined"
      : JSON.stringify({ callback: typeof tick.callback, symbols: Object.getOwnPropertySymbols(tick).length })
  }\n`,
);
