/**
 * @module Routing changes that take effect at an agreed wall-clock time. Worker processes receive a
 * change at slightly different moments; each applies it at the same instant `at`, and the registry
 * checks {@link SwitchClock.due} before it routes a request, so no request routed after `at` — in any
 * worker — sees the old state, even when a busy event loop runs the timer late.
 */

/** Pending changes ordered by time. */
export class SwitchClock {
  #pending: { readonly at: number; readonly fn: () => void }[] = [];
  /** The earliest pending time (Infinity when none): the hot path compares one number. */
  next = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  /** Runs `fn` at `at` (epoch ms), or now when that has passed; resolves once it ran. */
  at(at: number, fn: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const run = () => {
        try {
          fn();
          resolve();
        } catch (err) {
          reject(err);
        }
      };
      if (at <= Date.now() && this.#pending.length === 0) {
        run();
        return;
      }
      this.#pending.push({ at, fn: run });
      this.#pending.sort((a, b) => a.at - b.at);
      this.next = this.#pending[0]!.at;
      this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#pending.length === 0) return;
    this.#timer = setTimeout(() => this.flush(), Math.max(0, this.next - Date.now()));
  }

  /** Whether a pending change is due (cheap: one comparison unless something is pending). */
  due(): boolean {
    return this.next !== Number.POSITIVE_INFINITY && this.next <= Date.now();
  }

  /** Applies every change whose time has come, in order. */
  flush(): void {
    const now = Date.now();
    while (this.#pending.length > 0 && this.#pending[0]!.at <= now) this.#pending.shift()!.fn();
    this.next = this.#pending[0]?.at ?? Number.POSITIVE_INFINITY;
    this.#arm();
  }
}
