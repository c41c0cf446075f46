/**
 * @module A thread of the inference pool: binds models from their recipes (the runtime's `bindShared`
 * over arrays in shared memory), runs the calls the pool sends one at a time and posts the answers
 * back. Messages are handled strictly in order, so a call sent after a bind finds its model.
 */

import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { toWire } from "../../runtimes/loading/loader-worker-host.ts";
import { transferables, viewsIn } from "../../runtimes/loading/transfer.ts";
import type { FeatureTable, RuntimeModel } from "../../runtimes/runtime.ts";
import type { FromThread, PoolMethod, ToThread } from "./messages.ts";

const models = new Map<number, RuntimeModel>();
/** Whether every array of a model's recipe arrived here as shared memory (not a copy), by model id. */
const sharedOnly = new Map<number, boolean>();

/** The module a recipe names. */
interface Binder {
  bindShared(data: unknown): RuntimeModel | Promise<RuntimeModel>;
}

const post = (m: FromThread, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(m, transfer);

async function run(model: RuntimeModel, method: PoolMethod, table: FeatureTable): Promise<unknown> {
  const f = model[method] as ((t: FeatureTable) => Promise<unknown>) | undefined;
  if (!f) throw new Error(`the model has no ${method}`);
  return f.call(model, table);
}

async function handle(m: ToThread): Promise<void> {
  switch (m.type) {
    case "bind":
      try {
        const binder = (await import(m.module)) as Binder;
        models.set(m.id, await binder.bindShared(m.data));
        sharedOnly.set(
          m.id,
          viewsIn(m.data).every((v) => v.buffer instanceof SharedArrayBuffer),
        );
        post({ type: "bound", id: m.id });
      } catch (err) {
        post({ type: "bound", id: m.id, error: toWire(err) });
      }
      return;
    case "release": {
      const model = models.get(m.id);
      models.delete(m.id);
      sharedOnly.delete(m.id);
      await model?.close?.().catch(() => undefined);
      return;
    }
    case "held":
      post({
        type: "held",
        call: m.call,
        ids: [...models.keys()],
        sharedOnly: [...sharedOnly.values()],
        arrayBuffers: process.memoryUsage().arrayBuffers,
      });
      return;
    case "call": {
      const model = models.get(m.id);
      // The table's buffers (this thread's copy) go back with the answer, moved, not copied: left here
      // they would wait for this isolate's next full collection, which its small heap rarely needs
      // (a thread reached 14–30 MB of dead tables under 1000-row batches); moved, they die with the
      // event loop's next young-generation collection. Only the table: an answer's arrays might be the
      // model's own (nothing here says otherwise), and moving one would empty it for the next call.
      const table = transferables(m.table);
      try {
        if (!model) throw new Error("the model is not bound on this thread");
        const results: unknown[] = [];
        for (const method of m.methods) results.push(await run(model, method, m.table));
        post({ type: "result", call: m.call, results }, table);
      } catch (err) {
        post({ type: "result", call: m.call, error: toWire(err) }, table);
      }
      return;
    }
  }
}

// The event loop first: on Linux the nice value is per thread, so this lowers only the pool thread.
// Where the threads share CPUs with event loops, parsing and answering then come before batches.
const nice = (workerData as { nice?: number } | undefined)?.nice ?? 0;
if (process.platform === "linux" && nice > 0) {
  try {
    setPriority(nice);
  } catch {
    // Not permitted here.
  }
}

let chain: Promise<void> = Promise.resolve();
parentPort!.on("message", (m: ToThread) => {
  chain = chain.then(() => handle(m));
});
