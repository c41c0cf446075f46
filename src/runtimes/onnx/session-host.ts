/**
 * @module Where ONNX inference runs. onnxruntime-node's `run` is a synchronous native call, so by
 * default each model's session lives in a worker thread and the event loop stays free for other
 * requests; `inline` keeps it on the main thread (lower latency for tiny models, blocking for big ones).
 */

import { Worker } from "node:worker_threads";

/** A tensor crossing the thread boundary. */
export interface WireTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView | readonly string[];
}

/** Runs a session: named feeds in, named outputs out. */
export interface SessionHost {
  run(feeds: Record<string, WireTensor>, outputs: readonly string[]): Promise<Record<string, WireTensor>>;
  close(): Promise<void>;
}

/** The subset of onnxruntime-node used here. */
export interface OrtModule {
  InferenceSession: {
    create(bytes: Uint8Array, options?: object): Promise<OrtSession>;
  };
  Tensor: new (
    type: string,
    data: unknown,
    dims: readonly number[],
  ) => { type: string; dims: readonly number[]; data: unknown };
}

/** An onnxruntime session. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  run(
    feeds: Record<string, unknown>,
    fetches?: readonly string[],
  ): Promise<Record<string, { type: string; dims: readonly number[]; data: unknown }>>;
  release(): Promise<void>;
}

/** Input or output metadata from the session. */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** Runs a session on this thread. */
export function inlineHost(ort: OrtModule, session: OrtSession): SessionHost {
  return {
    async run(feeds, outputs) {
      const input: Record<string, unknown> = {};
      for (const [k, t] of Object.entries(feeds)) input[k] = new ort.Tensor(t.type, t.data, t.dims);
      const res = await session.run(input, outputs);
      const out: Record<string, WireTensor> = {};
      for (const k of outputs)
        out[k] = { type: res[k].type, dims: [...res[k].dims], data: res[k].data as ArrayBufferView };
      return out;
    },
    close: () => session.release(),
  };
}

type Pending = { resolve: (v: Record<string, WireTensor>) => void; reject: (e: Error) => void };

/** Starts a worker thread that holds its own session of the same model bytes. */
export async function workerHost(bytes: Uint8Array): Promise<SessionHost> {
  const here = import.meta.url;
  const file = new URL(here.endsWith(".ts") ? "./session-worker.ts" : "./session-worker.js", here);
  const worker = new Worker(file, { workerData: { bytes } });
  worker.unref();
  const pending = new Map<number, Pending>();
  let next = 0;
  let failure: Error | undefined;
  worker.on(
    "message",
    (m: { id: number; ok: boolean; outputs?: Record<string, WireTensor>; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.outputs!);
      else p.reject(new Error(m.error));
    },
  );
  const fail = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the ONNX worker exited with code ${code}`)));
  await new Promise<void>((resolve, reject) => {
    pending.set(-1, { resolve: () => resolve(), reject });
    worker.ref();
  });
  worker.unref();
  return {
    run(feeds, outputs) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const transfer = Object.values(feeds)
          .map((t) => (ArrayBuffer.isView(t.data) ? t.data.buffer : undefined))
          .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
        worker.ref();
        worker.postMessage({ id, feeds, outputs }, transfer);
      }).finally(() => {
        if (pending.size === 0) worker.unref();
      }) as Promise<Record<string, WireTensor>>;
    },
    async close() {
      await worker.terminate();
    },
  };
}
