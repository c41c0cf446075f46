/**
 * @module How crowded a model version's requests arrive: how many reach it in one turn of the event
 * loop (the requests whose bytes one poll of the sockets brought), as a moving average over turns. A
 * cheap model (a single-row call of a few microseconds) gains nothing from sharing its call, but its
 * requests still gain from being answered together when many arrive at once: one model call, then the
 * answers written in one burst, which the clients' side takes in while awake instead of being woken once
 * per answer. Measured on the iris RandomForest-100 (server and `wrk` on separate CPUs, 2026-12-07):
 * batched without waiting against unbatched, 0.86× the requests/s at 4 connections, 1.00× at 8, 1.24× at
 * 16 and 1.42× at 32. Rate is not the measure: 4 connections can bring as many requests a second as
 * 32, one or two at a time. Requests per turn is what separates them.
 */

/**
 * The average requests per turn from which a cheap version's requests are batched. Unbatched, a busy
 * server sees about one request per connection per turn (measured: 3.0 at 4 connections, 7.1 at 8,
 * 15.3 at 16, 31.7 at 32), so this is "more than about 8 clients waiting at once". On one CPU of its own
 * the server gains nothing from batching at 8 connections and loses nothing either; where event loops
 * share CPUs (two workers beside the load generator on two CPUs, 16 connections each, 11–15 requests a
 * turn), the CPU a batch saves is what counts: the iris forest's two workers served 45 000 requests/s
 * with this line at 12 (one worker crowded, the other not: 1.9 rows a call) and 56 000–60 000 with it at
 * 8 (2026-12-07).
 */
export const CROWD_FROM = 8;
/** Below this average, a crowded version stops being batched (a margin, so it does not flip-flop). */
export const CROWD_UNTIL = 6;
/** The weight of the newest turn in the average. */
const WEIGHT = 1 / 8;

/**
 * Counts requests per turn of the loop. Each turn with arrivals costs one `setImmediate`, which closes
 * the turn's count into the average.
 */
export class CrowdMeter {
  #count = 0;
  #open = false;
  #average = 0;
  #crowded = false;
  readonly #close = (): void => {
    this.#open = false;
    this.#average += (this.#count - this.#average) * WEIGHT;
    this.#count = 0;
  };

  /** Counts one request arriving in this turn. */
  arrive(): void {
    this.#count++;
    if (!this.#open) {
      this.#open = true;
      setImmediate(this.#close);
    }
  }

  /** The moving average of requests per turn (turns without requests are not counted). */
  get average(): number {
    return this.#average;
  }

  /** Whether requests arrive crowded enough to batch a cheap version ({@link CROWD_FROM}, {@link CROWD_UNTIL}). */
  get crowded(): boolean {
    if (this.#crowded ? this.#average < CROWD_UNTIL : this.#average >= CROWD_FROM)
      this.#crowded = !this.#crowded;
    return this.#crowded;
  }
}
