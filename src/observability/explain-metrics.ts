/**
 * @module Counters of explanation calls, apart from predictions: requests and explained rows per
 * model version, exposed on `/metrics` through a collector. Labels come only from resolved models.
 */

import type { MetricsCollector } from "./metrics.ts";

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Explanation counts by model version. */
export class ExplainCounters {
  private readonly byVersion = new Map<string, { labels: string; calls: number; rows: number }>();

  /** Counts one successful explanation call of `rows` rows. */
  observe(model: string, version: string, rows: number): void {
    const key = `${model}\u0000${version}`;
    let s = this.byVersion.get(key);
    if (!s) {
      s = { labels: `model="${escapeLabel(model)}",version="${escapeLabel(version)}"`, calls: 0, rows: 0 };
      this.byVersion.set(key, s);
    }
    s.calls++;
    s.rows += rows;
  }

  /** The exposition lines of both counters. */
  readonly collector: MetricsCollector = (out, prefix) => {
    out.push(
      `# HELP ${prefix}explain_requests_total Explanation (TreeSHAP) calls answered, by model version`,
    );
    out.push(`# TYPE ${prefix}explain_requests_total counter`);
    for (const s of this.byVersion.values())
      out.push(`${prefix}explain_requests_total{${s.labels}} ${s.calls}`);
    out.push(`# HELP ${prefix}explain_rows_total Rows explained, by model version`);
    out.push(`# TYPE ${prefix}explain_rows_total counter`);
    for (const s of this.byVersion.values()) out.push(`${prefix}explain_rows_total{${s.labels}} ${s.rows}`);
  };
}
