/**
 * @module `/stats` state: per model version, request and error counts, latency percentiles over a
 * sliding window of recent requests, throughput, predicted-class counts and the last error — in
 * constant memory whatever the traffic (a fixed ring of latencies, not a growing array).
 */

/** Latencies kept per model version for the percentiles: the most recent requests. */
export const WINDOW = 4096;

/** A ring of the last {@link WINDOW} latencies (ms) and their arrival times. */
export class LatencyWindow {
  private readonly ms = new Float64Array(WINDOW);
  private readonly at = new Float64Array(WINDOW);
  private next = 0;
  private filled = 0;

  /** Records one request's latency (ms) finished at `now` (ms since the epoch). */
  push(latencyMs: number, now: number): void {
    this.ms[this.next] = latencyMs;
    this.at[this.next] = now;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
  }

  /** Percentiles (nearest rank) of the window, in ms; `null` when empty. Sorting happens only here. */
  percentiles(qs: readonly number[]): (number | null)[] {
    const n = this.filled;
    if (n === 0) return qs.map(() => null);
    const sorted = this.ms.slice(0, n).sort();
    return qs.map((q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  }

  /** Requests per second over the window (its span, or up to `now`). */
  throughput(now: number): number {
    const n = this.filled;
    if (n < 2) return 0;
    const oldest = this.at[n < WINDOW ? 0 : this.next]!;
    const span = (now - oldest) / 1000;
    return span > 0 ? n / span : 0;
  }

  /** Number of latencies held (at most {@link WINDOW}). */
  get size(): number {
    return this.filled;
  }
}

/** The `/stats` record of one model version. */
export interface VersionStats {
  requests: number;
  errors: number;
  readonly window: LatencyWindow;
  readonly classes: Map<string, number>;
  lastError: { status: number; route: string; at: string } | null;
}

/** Creates an empty {@link VersionStats}. */
export function newVersionStats(): VersionStats {
  return { requests: 0, errors: 0, window: new LatencyWindow(), classes: new Map(), lastError: null };
}

/** The JSON form of one version's stats, for `/stats`. */
export function statsJson(
  model: string,
  version: string,
  s: VersionStats,
  now: number,
): Record<string, unknown> {
  const [p50, p95, p99] = s.window.percentiles([0.5, 0.95, 0.99]);
  return {
    model,
    version,
    requests: s.requests,
    errors: s.errors,
    latencyMs: { p50, p95, p99, window: s.window.size },
    throughputPerSecond: Math.round(s.window.throughput(now) * 100) / 100,
    predictions: Object.fromEntries(s.classes),
    lastError: s.lastError,
  };
}
