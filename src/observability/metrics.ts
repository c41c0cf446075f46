/**
 * @module Prometheus metrics of one app (prom-client, in its own registry): requests by model,
 * version, route and status, request and inference latency, batch sizes, predicted classes, error
 * codes, and process / event-loop metrics. Labels come only from resolved models and route patterns,
 * so unknown names in URLs never create series.
 */

import type { Registry } from "prom-client";
import {
  newVersionStats,
  type StatsSnapshot,
  statsJson,
  type VersionSnapshot,
  type VersionStats,
} from "./stats.ts";

/** What one finished request contributes to the metrics. */
export interface RequestObservation {
  /** Route pattern (never the raw URL), or `null` when no route matched. */
  readonly route: string | null;
  /** Resolved model name, when the request got that far. */
  readonly model?: string;
  /** Resolved model version. */
  readonly version?: string;
  readonly status: number;
  /** Whole-request latency in seconds. */
  readonly seconds: number;
  /** Inference alone in milliseconds, for prediction requests that ran the model. */
  readonly inferenceMs?: number;
  /** Rows in the request, for prediction requests. */
  readonly rows?: number;
  /** Predicted labels, for classification requests. */
  readonly predictions?: readonly unknown[];
  /** Predicted values, for regression requests (numbers; anything else is skipped). */
  readonly values?: readonly unknown[];
}

/** Appends exposition lines (`# HELP`, `# TYPE` and samples) for state kept elsewhere, at scrape time. */
export type MetricsCollector = (out: string[], prefix: string) => void;

// Latency buckets in seconds: sub-millisecond resolution for small models, up to 10 s for big batches.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000];
// Regression outputs: the scale is the model's, unknown here, so signed powers of ten from 1e-3 to 1e6.
const OUTPUT_BUCKETS = [
  -1e6, -1e5, -1e4, -1e3, -100, -10, -1, -0.1, -0.01, -0.001, 0, 0.001, 0.01, 0.1, 1, 10, 100, 1e3, 1e4, 1e5,
  1e6,
];
// Classes per model/version with their own series; further distinct labels share `__other__`.
const MAX_CLASSES = 100;

/** Cumulative-bucket histogram state in typed arrays: observing is a bound search and two adds. */
export class Hist {
  readonly counts: Float64Array;
  readonly bounds: readonly number[];
  sum = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
  }
}

interface RequestSeries {
  readonly labels: string;
  readonly latencyLabels: string;
  count: number;
  readonly latency: Hist;
  /** The model version's series, linked on first use: one map lookup per request, not two. */
  model?: ModelSeries;
}

interface ModelSeries {
  readonly labels: string;
  readonly inference: Hist;
  readonly batch: Hist;
  /** Regression outputs, created on the first numeric prediction. */
  output?: Hist;
  readonly model: string;
  readonly version: string;
  readonly classes: Map<unknown, { readonly name: string; readonly labels: string; count: number }>;
  readonly stats: VersionStats;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labelText = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
const num = (v: number) => (v === Number.POSITIVE_INFINITY ? "+Inf" : String(v));

/** Appends a histogram's `_bucket`, `_sum` and `_count` samples. */
export function renderHist(out: string[], name: string, labels: string, h: Hist): void {
  const sep = labels === "" ? "" : ",";
  let cum = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cum += h.counts[i]!;
    out.push(`${name}_bucket{${labels}${sep}le="${num(h.bounds[i]!)}"} ${cum}`);
  }
  cum += h.counts[h.bounds.length]!;
  out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${cum}`);
  out.push(`${name}_sum{${labels}} ${h.sum}`);
  out.push(`${name}_count{${labels}} ${cum}`);
}

/**
 * The metrics of one app. `observe` is called once per request from the response hook and costs one
 * map lookup and a few typed-array adds (prom-client's own label children re-validate and re-hash
 * labels on every observation, which the hot path cannot afford); the exposition text is built only
 * when scraped. prom-client supplies the process and event-loop metrics, from the first scrape on.
 *
 * @example
 * const metrics = new ServiceMetrics();
 * metrics.observe({ route: "/predict", model: "iris", version: "1", status: 200, seconds: 0.002 });
 * const text = await metrics.render();
 */
export class ServiceMetrics {
  private readonly prefix: string;
  private readonly processMetrics: boolean;
  /**
   * The prom-client registry of the process metrics, made at the first scrape: prom-client (with the
   * OpenTelemetry API it imports) is ~50 modules that a server nobody scrapes never needs, and its import
   * was on the way from spawn to ready.
   */
  #process: Promise<Registry> | undefined;
  private readonly series = new Map<string, RequestSeries>();
  /** The series of the latest request, with what it was found by (series are never removed). */
  #last:
    | {
        readonly model: string;
        readonly version: string;
        readonly route: string;
        readonly status: number;
        readonly series: RequestSeries;
      }
    | undefined;
  private readonly models = new Map<string, ModelSeries>();
  private readonly errors = new Map<string, number>();
  private readonly collectors: MetricsCollector[] = [];
  private readonly statsSections: [string, () => unknown][] = [];

  constructor(options: { readonly processMetrics?: boolean; readonly prefix?: string } = {}) {
    this.prefix = options.prefix ?? "modelserve_";
    this.processMetrics = options.processMetrics ?? true;
  }

  /**
   * The process metrics' exposition text (none when turned off). The first call imports prom-client and
   * starts its collectors: CPU, memory and handle counts are read from the process at each scrape
   * anyway; the GC and event-loop delay histograms count from that first scrape.
   */
  private async processText(): Promise<string> {
    if (!this.processMetrics) return "";
    this.#process ??= import("prom-client").then(({ Registry, collectDefaultMetrics }) => {
      const registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: this.prefix });
      return registry;
    });
    return (await this.#process).metrics();
  }

  /** Records one finished request. */
  observe(o: RequestObservation): void {
    const model = o.model ?? "";
    const version = o.version ?? "";
    const route = o.route ?? "unmatched";
    // Under steady traffic most requests fall in the series of the one before: compared, not re-keyed.
    const last = this.#last;
    let s =
      last !== undefined &&
      last.status === o.status &&
      last.route === route &&
      last.model === model &&
      last.version === version
        ? last.series
        : undefined;
    if (s === undefined) {
      const key = `${model}\u0000${version}\u0000${route}\u0000${o.status}`;
      s = this.series.get(key);
    }
    if (s === undefined) {
      const base: [string, string][] = [
        ["model", model],
        ["version", version],
        ["route", route],
      ];
      s = {
        labels: labelText([...base, ["status", String(o.status)]]),
        latencyLabels: labelText(base),
        count: 0,
        latency: new Hist(LATENCY_BUCKETS),
      };
      this.series.set(`${model}\u0000${version}\u0000${route}\u0000${o.status}`, s);
    }
    if (last === undefined || last.series !== s)
      this.#last = { model, version, route, status: o.status, series: s };
    s.count++;
    s.latency.observe(o.seconds);
    if (o.model === undefined) return;
    let m = s.model;
    if (m === undefined) {
      m = this.modelSeries(model, version);
      s.model = m;
    }
    const now = Date.now();
    const st = m.stats;
    st.requests++;
    st.window.push(o.seconds * 1000, now);
    if (o.status >= 400) {
      st.errors++;
      st.lastError = { status: o.status, route, at: new Date(now).toISOString() };
    }
    if (o.inferenceMs === undefined) return;
    m.inference.observe(o.inferenceMs / 1000);
    if (o.rows !== undefined) m.batch.observe(o.rows);
    const values = o.values;
    if (values !== undefined) {
      m.output ??= new Hist(OUTPUT_BUCKETS);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v === "number" && Number.isFinite(v)) m.output.observe(v);
      }
    }
    const preds = o.predictions;
    if (preds === undefined) return;
    for (let i = 0; i < preds.length; i++) {
      const label = preds[i];
      // Only discrete labels are counted: anything else would be an unbounded label value.
      if (typeof label !== "string" && !(typeof label === "number" && Number.isInteger(label))) continue;
      let c = m.classes.get(label);
      if (c === undefined) {
        const name = m.classes.size < MAX_CLASSES ? String(label) : "__other__";
        c = { name, labels: `${m.labels},class="${escapeLabel(name)}"`, count: 0 };
        m.classes.set(label, c);
      }
      c.count++;
    }
  }

  /** The per-version series of a model version, created on first use. */
  private modelSeries(model: string, version: string): ModelSeries {
    const mkey = `${model}\u0000${version}`;
    let m = this.models.get(mkey);
    if (m === undefined) {
      m = {
        model,
        version,
        labels: labelText([
          ["model", model],
          ["version", version],
        ]),
        inference: new Hist(LATENCY_BUCKETS),
        batch: new Hist(BATCH_BUCKETS),
        classes: new Map(),
        stats: newVersionStats(),
      };
      this.models.set(mkey, m);
    }
    return m;
  }

  /** Adds a section to `/stats`, computed when it is read. */
  addStatsSection(name: string, get: () => unknown): void {
    this.statsSections.push([name, get]);
  }

  /** Adds series computed at scrape time (model states, shadow comparisons, drift). */
  addCollector(collector: MetricsCollector): void {
    this.collectors.push(collector);
  }

  /** Counts one error answer by its code; codes are a fixed set, so the label stays bounded. */
  observeError(code: unknown): void {
    const c = typeof code === "string" && /^MS_[A-Z_]+$/.test(code) ? code : "other";
    this.errors.set(c, (this.errors.get(c) ?? 0) + 1);
  }

  /** The `/stats` document: uptime and, per model version, counts, latency percentiles and classes. */
  stats(startedAt: number): Record<string, unknown> {
    const now = Date.now();
    const models = [];
    for (const m of this.models.values()) {
      const counts = new Map<string, number>();
      for (const c of m.classes.values()) counts.set(c.name, (counts.get(c.name) ?? 0) + c.count);
      models.push({
        ...statsJson(m.model, m.version, m.stats, now),
        predictions: Object.fromEntries(counts),
      });
    }
    const out: Record<string, unknown> = { uptimeSeconds: Math.round((now - startedAt) / 1000), models };
    for (const [name, get] of this.statsSections) out[name] = get();
    return out;
  }

  /**
   * The raw state behind `/stats` (counts, latency windows, classes), JSON-able, so the stats of
   * several worker processes can be merged exactly ({@link mergeStats}).
   */
  statsSnapshot(): StatsSnapshot {
    const versions: VersionSnapshot[] = [];
    for (const m of this.models.values()) {
      const classes: Record<string, number> = {};
      for (const c of m.classes.values()) classes[c.name] = (classes[c.name] ?? 0) + c.count;
      const { ms, at } = m.stats.window.entries();
      const st = m.stats;
      versions.push({
        model: m.model,
        version: m.version,
        requests: st.requests,
        errors: st.errors,
        ms,
        at,
        classes,
        lastError: st.lastError,
      });
    }
    const sections: Record<string, unknown> = {};
    for (const [name, get] of this.statsSections) sections[name] = get();
    return { versions, sections };
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    const p = this.prefix;
    const out: string[] = [];
    const head = (name: string, type: string, help: string) =>
      out.push(`# HELP ${p}${name} ${help}`, `# TYPE ${p}${name} ${type}`);
    head(
      "http_requests_total",
      "counter",
      "HTTP requests answered, by model, version, route pattern and status",
    );
    for (const s of this.series.values()) out.push(`${p}http_requests_total{${s.labels}} ${s.count}`);
    head(
      "http_request_duration_seconds",
      "histogram",
      "Whole-request latency in seconds, by model, version and route",
    );
    // Series differing only by status share one latency histogram in the exposition: merge them.
    const merged = new Map<string, Hist>();
    for (const s of this.series.values()) {
      let h = merged.get(s.latencyLabels);
      if (h === undefined) {
        h = new Hist(LATENCY_BUCKETS);
        merged.set(s.latencyLabels, h);
      }
      for (let i = 0; i < h.counts.length; i++) h.counts[i]! += s.latency.counts[i]!;
      h.sum += s.latency.sum;
    }
    for (const [labels, h] of merged) renderHist(out, `${p}http_request_duration_seconds`, labels, h);
    head("inference_duration_seconds", "histogram", "Time spent in the model alone, in seconds");
    for (const m of this.models.values())
      renderHist(out, `${p}inference_duration_seconds`, m.labels, m.inference);
    head("batch_size_rows", "histogram", "Rows per prediction request");
    for (const m of this.models.values()) renderHist(out, `${p}batch_size_rows`, m.labels, m.batch);
    head("predictions_total", "counter", "Predicted labels of classification models, by class");
    for (const m of this.models.values())
      for (const c of m.classes.values()) out.push(`${p}predictions_total{${c.labels}} ${c.count}`);
    head("prediction_value", "histogram", "Predicted values of regression models (signed powers of ten)");
    for (const m of this.models.values())
      if (m.output) renderHist(out, `${p}prediction_value`, m.labels, m.output);
    head("errors_total", "counter", "Error answers by stable error code (MS_*; other for framework errors)");
    for (const [code, n] of this.errors) out.push(`${p}errors_total{code="${code}"} ${n}`);
    for (const c of this.collectors) c(out, p);
    return `${out.join("\n")}\n${await this.processText()}`;
  }

  /** The content type of {@link render}'s output (Prometheus text format 0.0.4). */
  get contentType(): string {
    return "text/plain; version=0.0.4; charset=utf-8";
  }
}

/** Prometheus label text for label pairs, escaped (`model="a",version="1"`). */
export function metricLabels(pairs: readonly (readonly [string, string])[]): string {
  return labelText(pairs);
}
