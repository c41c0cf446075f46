/**
 * @module The inference pool: a few `worker_threads` per serving process that run the batches of costly
 * models off the event loop. Each model is bound on every thread from its recipe (`RuntimeModel.shared`):
 * the threads rebuild their own model objects over the same `SharedArrayBuffer`s, so a thread costs its
 * isolate, not a copy of the model. Calls wait in one FIFO queue and go to the first idle thread, one
 * call per thread at a time. A thread that dies fails only its in-flight call (`MS_INFERENCE_THREAD_FAILED`)
 * and is replaced, with every bound model bound again.
 */

import { Worker } from "node:worker_threads";
import { Errors, ModelServeError } from "../../errors.ts";
import { siblingModule, type WireError } from "../../runtimes/loading/loader-worker-host.ts";
import type { FeatureTable, SharedModelRecipe } from "../../runtimes/runtime.ts";
import type { FromThread, PoolMethod, ToThread } from "./messages.ts";

/** Which model version a binding serves (for errors). */
export interface PoolLabel {
  readonly name: string;
  readonly version: string;
}

/** What the pool is doing, for `/metrics`. */
export interface PoolStats {
  /** Threads started (0 until a model is bound eagerly or a first call comes). */
  readonly threads: number;
  /** Threads running a call. */
  readonly busy: number;
  /** Calls waiting for a thread. */
  readonly queued: number;
  /** Model versions bound on the threads. */
  readonly models: number;
  /** Calls run on the pool since start. */
  readonly calls: number;
  /** Threads replaced after they stopped. */
  readonly replaced: number;
}

/** Heap of one pool thread, in MB: tables and answers are typed arrays and the model's arrays shared, both outside it. */
export const THREAD_HEAP_MB = 2048;

/** What one thread holds (for leak checks and tests). */
export interface ThreadHeld {
  /** Ids of the models bound on it. */
  readonly ids: number[];
  /** For each: whether every array of its recipe reached the thread as shared memory, not a copy. */
  readonly sharedOnly: boolean[];
}

interface Call {
  readonly id: number;
  readonly label: PoolLabel;
  readonly message: ToThread & { type: "call" };
  resolve(results: unknown[]): void;
  reject(err: Error): void;
}

interface Deferred {
  resolve(): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  busy?: Call;
  dead: boolean;
  /** Binds not yet acknowledged, by model id. */
  readonly binds: Map<number, Deferred>;
  /** `held` questions not yet answered, by number. */
  readonly questions: Map<number, (held: ThreadHeld) => void>;
}

function fromWire(e: WireError): Error {
  if (e.code && e.statusCode) return new ModelServeError(e.code, e.statusCode, e.message, e.details);
  return new Error(e.message);
}

/** A pool of inference threads. */
export class InferencePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Call[] = [];
  readonly #bound = new Map<number, { readonly recipe: SharedModelRecipe; readonly label: PoolLabel }>();
  #nextId = 1;
  #nextCall = 1;
  #calls = 0;
  #replaced = 0;
  #closed = false;
  /** Models released while calls for them were still queued (see {@link release}). */
  readonly #releasing = new Set<number>();
  /** Models recorded lazily that a thread could not build, with the reason. */
  readonly #bindFailures = new Map<number, string>();
  #ready = false;
  #started: Promise<void> | undefined;

  /** Threads to run (started when the first model is bound eagerly, or by the first call). */
  readonly size: number;
  /** Nice value of the threads (Linux; 0: the event loop's priority). */
  readonly nice: number;
  /** Each thread's heap budget, MB. */
  readonly heapMb: number;

  /**
   * @param size threads to run (started when the first model is bound eagerly, or by the first call).
   * @param nice the threads' nice value on Linux (default 0).
   * @param heapMb each thread's heap budget in MB (default {@link THREAD_HEAP_MB}); a thread that
   *   exceeds it stops alone, failing its call, and is replaced.
   */
  constructor(size: number, nice = 0, heapMb = THREAD_HEAP_MB) {
    this.size = size;
    this.nice = nice;
    this.heapMb = heapMb;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`pool size ${size} must be a positive integer`);
  }

  /** Counts of threads, busy threads, queued calls and bound models. */
  stats(): PoolStats {
    return {
      threads: this.#slots.length,
      busy: this.#slots.filter((s) => s.busy !== undefined).length,
      queued: this.#queue.length,
      models: this.#bound.size,
      calls: this.#calls,
      replaced: this.#replaced,
    };
  }

  /**
   * Binds a model on every thread; resolves with its id once every thread has built it, or rejects
   * with the first thread's error (the model is then released everywhere). With `lazy` while no thread
   * runs, only records it and resolves at once: the threads start with {@link start} (or a first
   * {@link call}) and bind every recorded model first; a model none of them can build is released,
   * and {@link bindFailure} then says why.
   */
  async bind(recipe: SharedModelRecipe, label: PoolLabel, options: { lazy?: boolean } = {}): Promise<number> {
    if (this.#closed) throw new Error("the inference pool is closed");
    const lazy = options.lazy === true && this.#slots.length === 0;
    if (!lazy) this.start();
    const id = this.#nextId++;
    this.#bound.set(id, { recipe, label });
    if (lazy) return id;
    try {
      await Promise.all(this.#slots.map((s) => this.#bindOn(s, id, recipe)));
    } catch (err) {
      this.release(id);
      throw err;
    }
    return id;
  }

  /** Why a model recorded lazily could not be bound when the threads started (undefined: it was, or not yet). */
  bindFailure(id: number): string | undefined {
    return this.#bindFailures.get(id);
  }

  /**
   * Starts the threads if none runs (idempotent), each binding every recorded model before anything
   * else (its messages run in order). {@link ready} turns true once those binds are done.
   */
  start(): void {
    if (this.#slots.length > 0 || this.#closed) return;
    const binds: Promise<unknown>[] = [];
    while (this.#slots.length < this.size) {
      const s = this.#spawn();
      this.#slots.push(s);
      for (const [id, { recipe }] of this.#bound)
        binds.push(
          this.#bindOn(s, id, recipe).catch((err: Error) => {
            // Its calls are refused from now on (pooledModel runs them inline).
            if (!this.#bindFailures.has(id)) this.#bindFailures.set(id, err.message);
            this.release(id);
          }),
        );
    }
    this.#started = Promise.all(binds).then(() => {
      this.#ready = true;
    });
  }

  /** Whether the threads run and have bound the models recorded before they started. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once {@link ready} (at once when no start is under way: nothing to wait for). */
  async untilReady(): Promise<void> {
    await this.#started;
  }

  // Not a documented error: pooledModel runs such calls inline; only direct callers see it.
  #unbound(id: number, label: PoolLabel): Error {
    return new Error(
      `model "${label.name}" version "${label.version}" could not be bound on the pool's threads: ${this.#bindFailures.get(id)}`,
    );
  }

  /**
   * Drops a model from every thread. Calls already made for it still run: the threads drop it after
   * the last of them has been sent (a version closes only once its requests are done, so this is rare).
   */
  release(id: number): void {
    if (!this.#bound.delete(id)) return;
    if (this.#queue.some((c) => c.message.id === id)) this.#releasing.add(id);
    else this.#postRelease(id);
  }

  #postRelease(id: number): void {
    for (const s of this.#slots)
      if (!s.dead) s.worker.postMessage({ type: "release", id } satisfies ToThread);
  }

  /** Runs `methods` on a table with model `id` on the first free thread; resolves with their answers. */
  call(
    id: number,
    methods: readonly PoolMethod[],
    table: FeatureTable,
    label: PoolLabel,
  ): Promise<unknown[]> {
    if (this.#closed)
      return Promise.reject(Errors.inferenceThreadFailed(label.name, label.version, "the pool is closed"));
    if (this.#bindFailures.has(id)) return Promise.reject(this.#unbound(id, label));
    this.start();
    return new Promise((resolve, reject) => {
      const call = this.#nextCall++;
      this.#queue.push({
        id: call,
        label,
        message: { type: "call", call, id, methods, table },
        resolve,
        reject,
      });
      this.#dispatch();
    });
  }

  /** The model ids each live thread holds (for leak checks). */
  async held(): Promise<number[][]> {
    return (await this.heldDetails()).map((h) => h.ids);
  }

  /** What each live thread holds: model ids, and whether their arrays reached it as shared memory. */
  heldDetails(): Promise<ThreadHeld[]> {
    return Promise.all(
      this.#slots
        .filter((s) => !s.dead)
        .map(
          (s) =>
            new Promise<ThreadHeld>((resolve) => {
              const call = this.#nextCall++;
              s.questions.set(call, resolve);
              this.#hold(s);
              s.worker.postMessage({ type: "held", call } satisfies ToThread);
            }),
        ),
    );
  }

  /** Stops a thread as a crash would (tests of the replacement). */
  async stopThread(index: number): Promise<void> {
    await this.#slots[index]?.worker.terminate();
  }

  /** Stops every thread; queued and running calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#queue.splice(0))
      c.reject(Errors.inferenceThreadFailed(c.label.name, c.label.version, "the pool is closed"));
    const slots = this.#slots.splice(0);
    for (const s of slots) s.dead = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots)
      s.busy?.reject(
        Errors.inferenceThreadFailed(s.busy.label.name, s.busy.label.version, "the pool is closed"),
      );
  }

  #bindOn(s: Slot, id: number, recipe: SharedModelRecipe): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      s.binds.set(id, { resolve, reject });
      this.#hold(s);
      s.worker.postMessage({ type: "bind", id, module: recipe.module, data: recipe.data } satisfies ToThread);
    });
  }

  #spawn(): Slot {
    const worker = new Worker(siblingModule(import.meta.url, "pool-thread"), {
      workerData: { nice: this.nice },
      // Its own heap budget: a thread out of heap stops alone (ERR_WORKER_OUT_OF_MEMORY) and is
      // replaced. The model's arrays, the tables and the answers are outside this heap.
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb },
    });
    // An idle pool never keeps the process alive; a thread with a call in flight does.
    worker.unref();
    const slot: Slot = { worker, dead: false, binds: new Map(), questions: new Map() };
    worker.on("message", (m: FromThread) => this.#onMessage(slot, m));
    worker.on("error", (err) => this.#onDeath(slot, err.message));
    worker.on("exit", (code) => this.#onDeath(slot, `exit code ${code}`));
    return slot;
  }

  #onMessage(s: Slot, m: FromThread): void {
    if (m.type === "bound") {
      const d = s.binds.get(m.id);
      s.binds.delete(m.id);
      this.#hold(s);
      if (m.error) d?.reject(fromWire(m.error));
      else d?.resolve();
    } else if (m.type === "held") {
      s.questions.get(m.call)?.({ ids: m.ids, sharedOnly: m.sharedOnly });
      s.questions.delete(m.call);
      this.#hold(s);
    } else {
      const c = s.busy;
      if (!c || c.id !== m.call) return;
      s.busy = undefined;
      this.#hold(s);
      this.#calls++;
      if (m.error)
        c.reject(
          this.#bindFailures.has(c.message.id) ? this.#unbound(c.message.id, c.label) : fromWire(m.error),
        );
      else c.resolve(m.results ?? []);
      this.#dispatch();
    }
  }

  /** A thread stopped: its call and binds fail, and (unless the pool is closing) a new thread takes its place. */
  #onDeath(s: Slot, why: string): void {
    if (s.dead) return;
    s.dead = true;
    const c = s.busy;
    s.busy = undefined;
    if (c) c.reject(Errors.inferenceThreadFailed(c.label.name, c.label.version, why));
    for (const [id, d] of s.binds) {
      const label = this.#bound.get(id)?.label ?? { name: "?", version: "?" };
      d.reject(Errors.inferenceThreadFailed(label.name, label.version, why));
    }
    s.binds.clear();
    for (const q of s.questions.values()) q({ ids: [], sharedOnly: [] });
    s.questions.clear();
    const at = this.#slots.indexOf(s);
    if (at < 0 || this.#closed) return;
    const next = this.#spawn();
    this.#slots[at] = next;
    this.#replaced++;
    // Every model bound again, before any call reaches the new thread (its messages run in order).
    for (const [id, { recipe }] of this.#bound) void this.#bindOn(next, id, recipe).catch(() => undefined);
    this.#dispatch();
  }

  /** Keeps the process alive while a thread has work or questions pending, never while it is idle. */
  #hold(s: Slot): void {
    if (s.busy || s.binds.size > 0 || s.questions.size > 0) s.worker.ref();
    else s.worker.unref();
  }

  #dispatch(): void {
    for (const s of this.#slots) {
      while (!s.dead && !s.busy && this.#queue.length > 0) {
        const c = this.#queue.shift()!;
        let posted = true;
        try {
          s.worker.postMessage(c.message);
        } catch (err) {
          // A table that cannot be cloned fails its own call only.
          c.reject(err as Error);
          posted = false;
        }
        // A model released while this call waited: every thread drops it once its last call is sent.
        const id = c.message.id;
        if (this.#releasing.has(id) && !this.#queue.some((q) => q.message.id === id)) {
          this.#releasing.delete(id);
          this.#postRelease(id);
        }
        if (!posted) continue;
        s.busy = c;
        this.#hold(s);
      }
    }
  }
}
