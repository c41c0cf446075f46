/**
 * @module The queue signals of each model in `/metrics`: queue depth and requests in flight (gauges
 * read at scrape time), rows per model call and time waited in the queue (histograms). These are the
 * series an autoscaler watches (see docs/scaling.md).
 */

import { Hist, type MetricsCollector, metricLabels, renderHist } from "./metrics.ts";

/** Queue and in-flight counts of one model version at scrape time. */
export interface QueueGauge {
  readonly model: string;
  readonly version: string;
  readonly queued: number;
  readonly inflight: number;
}

// Rows per model call: single rows up to full micro-batches and large client batches.
const ROWS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 10_000];
// Queue waits in seconds: from 50 µs (a turn of the event loop) to 1 s.
const WAIT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1];

interface Series {
  readonly labels: string;
  readonly rows: Hist;
  readonly wait: Hist;
}

/**
 * Histograms of the model calls made by the micro-batcher, and the collector that renders them with
 * the gauges. `batch` is called once per model call (not per request) on the hot path: one map lookup.
 */
export class BatchingMetrics {
  readonly #series = new Map<string, Series>();

  /** Records one model call of `rows` rows; `waits` holds each request's queue wait in seconds. */
  batch(model: string, version: string, rows: number, waits: readonly number[]): void {
    const key = `${model}\u0000${version}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = {
        labels: metricLabels([
          ["model", model],
          ["version", version],
        ]),
        rows: new Hist(ROWS_BUCKETS),
        wait: new Hist(WAIT_BUCKETS),
      };
      this.#series.set(key, s);
    }
    s.rows.observe(rows);
    for (let i = 0; i < waits.length; i++) s.wait.observe(waits[i]!);
  }

  /** The exposition of these histograms and of the gauges `gauges` reads at scrape time. */
  collector(gauges: () => readonly QueueGauge[]): MetricsCollector {
    return (out, p) => {
      const states = gauges();
      const labels = (g: QueueGauge) =>
        metricLabels([
          ["model", g.model],
          ["version", g.version],
        ]);
      out.push(
        `# HELP ${p}model_queue_depth Requests admitted and waiting for their model (batching lanes)`,
        `# TYPE ${p}model_queue_depth gauge`,
      );
      for (const g of states) out.push(`${p}model_queue_depth{${labels(g)}} ${g.queued}`);
      out.push(
        `# HELP ${p}model_inflight_requests Requests whose model call is running`,
        `# TYPE ${p}model_inflight_requests gauge`,
      );
      for (const g of states) out.push(`${p}model_inflight_requests{${labels(g)}} ${g.inflight}`);
      out.push(
        `# HELP ${p}model_batch_rows Rows per model call (a micro-batch, or one request run alone)`,
        `# TYPE ${p}model_batch_rows histogram`,
      );
      for (const s of this.#series.values()) renderHist(out, `${p}model_batch_rows`, s.labels, s.rows);
      out.push(
        `# HELP ${p}model_queue_wait_seconds Time a request waited in its model's queue before its call began`,
        `# TYPE ${p}model_queue_wait_seconds histogram`,
      );
      for (const s of this.#series.values())
        renderHist(out, `${p}model_queue_wait_seconds`, s.labels, s.wait);
    };
  }
}
