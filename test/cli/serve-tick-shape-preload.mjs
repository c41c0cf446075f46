// Preload of serve-tick-shape.test.ts (node --expose-gc --allow-natives-syntax --import this): a full
// collection after each request a served process starts (what a start's model reads do between
// ticks), and V8's view of process.nextTick (its inline caches' states) on stdout at exit.
import { subscribe } from "node:diagnostics_channel";

subscribe("http.server.request.start", () => setImmediate(() => globalThis.gc()));
process.on("exit", () => {
  process.stdout.write("\nNEXTTICK\n");
  // Natives syntax, opened by the flag, is not module syntax: it reaches V8's parser through eval.
  // biome-ignore lint/security/noGlobalEval: a V8 intrinsic for the test, never in the product
  eval("%DebugPrint(process.nextTick)");
});
