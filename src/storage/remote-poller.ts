/**
 * @module Polling a remote repository: one sync at start (its failure stops the start, unless the
 * store is merely unreachable and a mirror exists), then, when watching, a sync every interval ±20 %
 * so that replicas started together spread their listings. Failures while polling are logged by the
 * repository and retried on the next tick; they never stop the server.
 */

import type { RemoteRepository } from "./remote-repository.ts";

/** Keeps a {@link RemoteRepository} mirror current. */
export class RemotePoller {
  readonly #remote: RemoteRepository;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /**
   * Wraps every sync: several worker processes share one mirror directory, so they sync one at a
   * time (the later ones find the mirror current and copy nothing).
   */
  serialize: <T>(sync: () => Promise<T>) => Promise<T> = (sync) => sync();

  /** `intervalMs` 0: sync once at start only. */
  constructor(remote: RemoteRepository, intervalMs: number) {
    this.#remote = remote;
    this.#intervalMs = intervalMs;
  }

  /** Syncs once, then keeps polling when an interval is set. */
  async start(): Promise<void> {
    await this.serialize(() => this.#remote.sync());
    if (this.#intervalMs > 0) this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = this.#intervalMs * (0.8 + 0.4 * Math.random());
    this.#timer = setTimeout(() => {
      this.serialize(() => this.#remote.sync())
        .catch(() => undefined)
        .finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  /** Stops polling. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
