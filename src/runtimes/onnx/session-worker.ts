/** @module The ONNX worker thread: one session per worker, runs requests one after another. */

import { parentPort, workerData } from "node:worker_threads";
import { transferables } from "../loading/transfer.ts";
import type { OrtModule, OrtSession, WireTensor } from "./session-host.ts";

const ort = (await import("onnxruntime-node")) as unknown as OrtModule;
let session: OrtSession;
try {
  session = await ort.InferenceSession.create((workerData as { bytes: Uint8Array }).bytes);
  parentPort!.postMessage({ id: -1, ok: true });
} catch (err) {
  parentPort!.postMessage({ id: -1, ok: false, error: (err as Error).message });
}

parentPort!.on("message", async (m: { id: number; feeds: Record<string, WireTensor>; outputs: string[] }) => {
  try {
    const input: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(m.feeds)) input[k] = new ort.Tensor(t.type, t.data, t.dims);
    const res = await session.run(input, m.outputs);
    const outputs: Record<string, WireTensor> = {};
    for (const k of m.outputs) {
      const data = res[k].data as ArrayBufferView | string[];
      outputs[k] = { type: res[k].type, dims: [...res[k].dims], data };
    }
    // The outputs' buffers, and the inputs' (this worker's copy, unreferenced in the answer), go back
    // transferred: the event loop frees them in its own frequent collections, where this worker,
    // which allocates little else, would keep dead copies until V8 collects it for their sake.
    parentPort!.postMessage({ id: m.id, ok: true, outputs }, transferables([outputs, m.feeds]));
  } catch (err) {
    parentPort!.postMessage({ id: m.id, ok: false, error: (err as Error).message });
  }
});
