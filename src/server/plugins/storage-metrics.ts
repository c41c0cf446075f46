/**
 * @module Prometheus series of remote sources: whether each is served from a stale copy (its store
 * unreachable), and download counts by outcome. Sources are shown without credentials or queries.
 */

import { type MetricsCollector, metricLabels } from "../../observability/metrics.ts";
import type { StorageStatus } from "../../storage/status.ts";

/** The collector for a storage status. */
export function storageCollector(status: StorageStatus): MetricsCollector {
  return (out, p) => {
    out.push(
      `# HELP ${p}storage_stale Whether a remote source is served from its last verified copy because its store is unreachable`,
      `# TYPE ${p}storage_stale gauge`,
    );
    for (const s of status.all())
      out.push(`${p}storage_stale{${metricLabels([["source", s.source]])}} ${s.state === "stale" ? 1 : 0}`);
    out.push(
      `# HELP ${p}storage_fetches_total Remote objects checked, by outcome (downloaded, unchanged: the cached copy was current, stale, failed)`,
      `# TYPE ${p}storage_fetches_total counter`,
    );
    for (const outcome of ["downloaded", "unchanged", "stale", "failed"] as const)
      out.push(`${p}storage_fetches_total{outcome="${outcome}"} ${status.counts[outcome]}`);
    out.push(
      `# HELP ${p}storage_download_bytes_total Bytes downloaded from remote sources`,
      `# TYPE ${p}storage_download_bytes_total counter`,
      `${p}storage_download_bytes_total ${status.counts.bytes}`,
    );
  };
}
