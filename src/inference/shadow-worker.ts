/**
 * @module The shadow worker thread: loads the shadow version's model file once and scores mirrored
 * batches off the main thread, so shadow traffic never competes with live requests for the event loop.
 */

import { parentPort, workerData } from "node:worker_threads";
import { loadModel } from "../runtimes/load-model.ts";
import type { FeatureTable } from "../runtimes/runtime.ts";
import { predictionValues } from "./run.ts";

const { path, runtime } = workerData as { path: string; runtime: string };
let model: Awaited<ReturnType<typeof loadModel>> | undefined;
try {
  model = await loadModel(path, { runtime, settings: { inference: "inline" } });
  parentPort!.postMessage({ id: -1, ok: true });
} catch (err) {
  parentPort!.postMessage({ id: -1, ok: false, error: (err as Error).message });
}

parentPort!.on("message", async (m: { id: number; table: FeatureTable }) => {
  try {
    const out = await model!.predict(m.table);
    parentPort!.postMessage({ id: m.id, ok: true, predictions: predictionValues(out, m.table.rows) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, ok: false, error: (err as Error).message });
  }
});
