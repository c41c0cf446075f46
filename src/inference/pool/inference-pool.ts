/**
 * @module The inference pool: a few `worker_threads` per serving process that run the batches of costly
 * models off the event loop. Each model is bound on every thread from its recipe (`RuntimeModel.shared`):
 * the threads rebuild their own model objects over the same `SharedArrayBuffer`s, so a thread costs its
 * isolate, not a copy of the model. Calls wait in one FIFO queue and go to the first idle thread, one
 * call per thread at a time. A thread that dies fails only its in-flight call (`MS_INFERENCE_THREAD_FAILED`)
 * and is replaced, with every bound model bound again. Threads that only `auto` placements started
 * are stopped after a while without a call, and started again by the next costly one.
 */

import { Worker } from "node:worker_threads";
import { Errors, ModelServeError } from "../../errors.ts";
import { siblingModule, type WireError } from "../../runtimes/loading/loader-worker-host.ts";
import type { FeatureTable, SharedModelRecipe } from "../../runtimes/runtime.ts";
import type { FromThread, PoolMethod, ToThread } from "./messages.ts";
import {
  type PoolLabel,
  type PoolOptions,
  type PoolStats,
  THREAD_HEAP_MB,
  type ThreadHeld,
} from "./pool-types.ts";

export { type PoolLabel, type PoolOptions, type PoolStats, THREAD_HEAP_MB, type ThreadHeld };

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
  /** The binds a replacement thread started with, by model id (a start-up bind that its thread's death failed waits for these). */
  readonly rebinds: Map<number, Promise<void>>;
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
  /** Models bound eagerly (forced onto the pool): while one is bound, the threads are never retired. */
  readonly #eager = new Set<number>();
  /** When the last call was sent or answered (performance.now()). */
  #lastUse = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #retired = 0;
  /** Errors made by a thread's death (not by the model's build). */
  readonly #deaths = new WeakSet<Error>();

  /** Threads to run (started when the first model is bound eagerly, or by the first call). */
  readonly size: number;
  /** Nice value of the threads (Linux; 0: the event loop's priority). */
  readonly nice: number;
  /** Each thread's heap budget, MB. */
  readonly heapMb: number;
  /** Idle time after which threads started only for lazily bound models stop, ms (0: never). */
  readonly idleMs: number;

  /**
   * @param size threads to run (started when the first model is bound eagerly, or by the first call).
   * @param options nice value, heap budget and idle retirement of the threads.
   */
  constructor(size: number, options: PoolOptions = {}) {
    this.size = size;
    this.nice = options.nice ?? 0;
    this.heapMb = options.heapMb ?? THREAD_HEAP_MB;
    this.idleMs = options.idleMs ?? 0;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`pool size ${size} must be a positive integer`);
    if (!Number.isFinite(this.idleMs) || this.idleMs < 0)
      throw new RangeError(`idle time ${this.idleMs} must be a non-negative number of ms`);
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
      retired: this.#retired,
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
    if (options.lazy !== true) this.#eager.add(id);
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
      const at = this.#slots.length;
      this.#slots.push(this.#spawn());
      for (const [id, { recipe }] of this.#bound)
        binds.push(
          this.#bindSurviving(at, id, recipe).catch((err: Error) => {
            // Its calls are refused from now on (pooledModel runs them inline).
            if (!this.#bindFailures.has(id)) this.#bindFailures.set(id, err.message);
            this.release(id);
          }),
        );
    }
    const started = Promise.all(binds).then(() => {
      // Unless the threads were retired meanwhile (a later start has its own promise).
      if (this.#started === started) this.#ready = true;
    });
    this.#started = started;
    this.#lastUse = performance.now();
    this.#armIdle();
  }

  /**
   * Binds a model on the thread at `index`; when that thread dies first, on the thread that replaced it
   * (which binds every model as it starts), a few times at most: only the model's own build failing,
   * or the pool closing, fails it.
   */
  #bindSurviving(index: number, id: number, recipe: SharedModelRecipe, attempts = 3): Promise<void> {
    const s = this.#slots[index];
    if (!s) return Promise.reject(new Error("the pool's threads were stopped"));
    return (s.rebinds.get(id) ?? this.#bindOn(s, id, recipe)).catch((err: Error) => {
      const replaced = this.#slots[index] !== s && this.#slots[index] !== undefined;
      if (this.#deaths.has(err) && replaced && attempts > 1 && this.#bound.has(id))
        return this.#bindSurviving(index, id, recipe, attempts - 1);
      throw err;
    });
  }

  /**
   * Schedules the idle check while it can retire the threads: retirement on, threads running, no model
   * bound eagerly (releasing the last one arms it again).
   */
  #armIdle(): void {
    if (this.idleMs === 0 || this.#idleTimer || this.#slots.length === 0 || this.#eager.size > 0) return;
    // Not before the idle time is up; while a long call runs, every tenth of it.
    const wait = Math.max(this.idleMs / 10, this.#lastUse + this.idleMs - performance.now());
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#retireIfIdle();
      this.#armIdle();
    }, wait);
    // A pool waiting to retire its threads never keeps the process alive.
    this.#idleTimer.unref();
  }

  /**
   * Stops the threads when none has had a call for {@link idleMs}, nothing waits and no model was bound
   * eagerly: an idle thread is an isolate (~20 MB) that a server past its batch traffic no longer uses.
   * The lazily bound models stay recorded; the next costly call starts the threads again.
   */
  #retireIfIdle(): void {
    if (this.#closed || this.#slots.length === 0 || this.#eager.size > 0) return;
    if (performance.now() - this.#lastUse < this.idleMs) return;
    if (this.#queue.length > 0) return;
    if (this.#slots.some((s) => s.busy || s.binds.size > 0 || s.questions.size > 0)) return;
    // Out of the pool first: their exits are not deaths to replace.
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      void s.worker.terminate();
    }
    this.#ready = false;
    this.#started = undefined;
    this.#retired++;
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
    if (this.#eager.delete(id)) this.#armIdle();
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
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
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
    const slot: Slot = { worker, dead: false, binds: new Map(), rebinds: new Map(), questions: new Map() };
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
      s.questions.get(m.call)?.({ ids: m.ids, sharedOnly: m.sharedOnly, arrayBuffers: m.arrayBuffers });
      s.questions.delete(m.call);
      this.#hold(s);
    } else {
      const c = s.busy;
      if (!c || c.id !== m.call) return;
      s.busy = undefined;
      this.#hold(s);
      this.#calls++;
      this.#lastUse = performance.now();
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
      const err = Errors.inferenceThreadFailed(label.name, label.version, why);
      this.#deaths.add(err);
      d.reject(err);
    }
    s.binds.clear();
    for (const q of s.questions.values()) q({ ids: [], sharedOnly: [], arrayBuffers: 0 });
    s.questions.clear();
    const at = this.#slots.indexOf(s);
    if (at < 0 || this.#closed) return;
    const next = this.#spawn();
    this.#slots[at] = next;
    this.#replaced++;
    // Every model bound again, before any call reaches the new thread (its messages run in order).
    for (const [id, { recipe }] of this.#bound) {
      const bind = this.#bindOn(next, id, recipe);
      next.rebinds.set(id, bind);
      bind.then(
        () => next.rebinds.delete(id),
        () => next.rebinds.delete(id),
      );
    }
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
        this.#lastUse = performance.now();
        this.#hold(s);
      }
    }
  }
}
