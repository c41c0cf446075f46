/**
 * @module Leases: a request holds one on the version that answers it from routing to its answer.
 * The book counts them per version and in total, remembers each version's last use (for the memory
 * budget's LRU) and wakes whoever waits for a version to drain.
 */

import type { ModelVersion, ReadyVersion } from "../inference/version.ts";

/** A version held for one request; `release` once the answer is written (extra calls do nothing). */
export interface Lease {
  readonly version: ReadyVersion;
  release(): void;
}

interface Usage {
  inflight: number;
  /** Last use, epoch ms. */
  at: number;
  /** Use order, breaking ties within a millisecond for LRU. */
  order: number;
}

class HeldLease implements Lease {
  readonly version: ReadyVersion;
  #book: LeaseBook | undefined;
  constructor(version: ReadyVersion, book: LeaseBook) {
    this.version = version;
    this.#book = book;
  }
  release(): void {
    this.#book?.leave(this.version);
    this.#book = undefined;
  }
}

/** Requests in flight per version. */
export class LeaseBook {
  readonly #usage = new Map<ModelVersion, Usage>();
  readonly #drained = new Map<ModelVersion, () => void>();
  #uses = 0;
  #active = 0;

  /** A lease on a ready version. */
  lease(v: ReadyVersion): Lease {
    this.enter(v);
    return new HeldLease(v, this);
  }

  /** Counts one more request on `v` (pair with {@link leave}). */
  enter(v: ModelVersion): void {
    // One map lookup on the hot path.
    this.#active++;
    const u = this.#usage.get(v);
    if (u) {
      u.inflight++;
      u.at = Date.now();
      u.order = ++this.#uses;
    } else {
      this.#usage.set(v, { inflight: 1, at: Date.now(), order: ++this.#uses });
    }
  }

  /** Ends a request started with {@link enter}. */
  leave(v: ModelVersion): void {
    const u = this.#usage.get(v);
    if (!u) return;
    this.#active--;
    u.inflight--;
    if (u.inflight <= 0) {
      u.inflight = 0;
      this.#drained.get(v)?.();
    }
  }

  /** Requests in flight across every version. */
  get total(): number {
    return this.#active;
  }

  /** Requests in flight on a version. */
  inflight(v: ModelVersion): number {
    return this.#usage.get(v)?.inflight ?? 0;
  }

  /** When a version last served (epoch ms), if ever. */
  lastUsed(v: ModelVersion): number | undefined {
    return this.#usage.get(v)?.at;
  }

  /** The use order of a version (0 if never used): lower is less recently used. */
  order(v: ModelVersion): number {
    return this.#usage.get(v)?.order ?? 0;
  }

  /** Resolves when `v` has no request in flight, or after `ms` whatever remains. */
  async drain(v: ModelVersion, ms: number): Promise<void> {
    if (this.inflight(v) > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.#drained.set(v, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#drained.delete(v);
    }
  }

  /** Drops a version's record once it is gone. */
  forget(v: ModelVersion): void {
    this.#usage.delete(v);
  }
}
