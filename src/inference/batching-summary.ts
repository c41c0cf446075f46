/**
 * @module `/stats`' `batching` section of a server of several worker processes. Each worker batches
 * the requests it receives and its `auto` mode decides from its own calls, so the workers' decisions
 * can differ (one crowded, another not); the merged section lists every worker's, each marked with its
 * worker. The settings are the same in every worker: the first's are shown.
 */

import type { BatchingSummary } from "./micro-batcher.ts";

/** One worker's `batching` section. */
export interface WorkerBatching {
  /** The worker's index, as `/metrics`' `worker` label has it. */
  readonly worker: number;
  readonly summary: BatchingSummary;
}

/** The workers' sections as one: the first's settings, every worker's decisions by model, version, worker. */
export function mergeBatchingSummaries(parts: readonly WorkerBatching[]): BatchingSummary | undefined {
  if (parts.length === 0) return undefined;
  const calibrated = parts
    .flatMap((p) => p.summary.calibrated.map((c) => ({ ...c, worker: p.worker })))
    .sort(
      (a, b) => a.model.localeCompare(b.model) || a.version.localeCompare(b.version) || a.worker - b.worker,
    );
  return { ...parts[0]!.summary, calibrated };
}
