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

  /** The latencies held and their times, oldest first (to merge the windows of several workers). */
  entries(): { ms: number[]; at: number[] } {
    const n = this.filled;
    const start = n < WINDOW ? 0 : this.next;
    const ms: number[] = new Array(n);
    const at: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const j = (start + i) % WINDOW;
      ms[i] = this.ms[j]!;
      at[i] = this.at[j]!;
    }
    return { ms, at };
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

/** One version's `/stats` state as plain data (see `ServiceMetrics.statsSnapshot`). */
export interface VersionSnapshot {
  readonly model: string;
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
  /** Latencies of the window (ms) and their times (epoch ms), oldest first. */
  readonly ms: readonly number[];
  readonly at: readonly number[];
  readonly classes: Readonly<Record<string, number>>;
  readonly lastError: VersionStats["lastError"];
}

/** A whole app's `/stats` state as plain data. */
export interface StatsSnapshot {
  readonly versions: readonly VersionSnapshot[];
  /** Extra sections (shadows, drift, storage…), already computed. */
  readonly sections: Readonly<Record<string, unknown>>;
}

/**
 * The `/stats` document of several worker processes: counts and classes summed, percentiles and
 * throughput over the union of their latency windows (the most recent {@link WINDOW} requests of all
 * workers), the latest error; extra sections from the first worker that has them.
 */
export function mergeStats(snapshots: readonly StatsSnapshot[], startedAt: number): Record<string, unknown> {
  const now = Date.now();
  const byKey = new Map<string, VersionSnapshot[]>();
  for (const s of snapshots)
    for (const v of s.versions) {
      const k = `${v.model}\u0000${v.version}`;
      byKey.set(k, [...(byKey.get(k) ?? []), v]);
    }
  const models = [...byKey.values()].map((parts) => {
    const merged = newVersionStats();
    const points = parts
      .flatMap((p) => p.ms.map((ms, i) => [p.at[i]!, ms] as const))
      .sort((a, b) => a[0] - b[0]);
    for (const [at, ms] of points.slice(-WINDOW)) merged.window.push(ms, at);
    for (const p of parts) {
      merged.requests += p.requests;
      merged.errors += p.errors;
      for (const [c, n] of Object.entries(p.classes)) merged.classes.set(c, (merged.classes.get(c) ?? 0) + n);
      if (p.lastError && (!merged.lastError || p.lastError.at > merged.lastError.at))
        merged.lastError = p.lastError;
    }
    return statsJson(parts[0]!.model, parts[0]!.version, merged, now);
  });
  const out: Record<string, unknown> = { uptimeSeconds: Math.round((now - startedAt) / 1000), models };
  for (const s of snapshots)
    for (const [name, value] of Object.entries(s.sections)) if (!(name in out)) out[name] = value;
  return out;
}
