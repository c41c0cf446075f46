/**
 * @module Prometheus series of the model lifecycle, computed at scrape time from the registry and the
 * shadow tracker: each version's state, load time and file size, and shadow comparison counters.
 * Versions come from the registry, never from request URLs, so the label set stays bounded.
 */

import type { AuditLog } from "../../observability/audit-log.ts";
import { type DriftTracker, PREDICTION_KEY } from "../../observability/drift.ts";
import { type MetricsCollector, metricLabels } from "../../observability/metrics.ts";
import type { ModelRegistry, VersionState } from "../../registry/model-registry.ts";
import type { ShadowTracker } from "../shadow.ts";

const STATES: readonly VersionState[] = ["unloaded", "loading", "ready", "failed", "unloading"];

/** The collector for `registry` and `shadows`. */
export function lifecycleCollector(registry: ModelRegistry, shadows: ShadowTracker): MetricsCollector {
  return (out, p) => {
    const versions = registry.all();
    out.push(
      `# HELP ${p}model_state Model version state (1 for the current state, 0 for the others)`,
      `# TYPE ${p}model_state gauge`,
    );
    for (const v of versions)
      for (const s of STATES)
        out.push(
          `${p}model_state{${metricLabels([
            ["model", v.name],
            ["version", v.version],
            ["state", s],
          ])}} ${v.state === s ? 1 : 0}`,
        );
    out.push(
      `# HELP ${p}model_default Whether the version is the one /predict and /models/{name}/predict use`,
      `# TYPE ${p}model_default gauge`,
    );
    for (const v of versions)
      out.push(
        `${p}model_default{${metricLabels([
          ["model", v.name],
          ["version", v.version],
        ])}} ${registry.defaultVersion(v.name) === v.version ? 1 : 0}`,
      );
    out.push(
      `# HELP ${p}model_load_duration_seconds Wall time of the version's last load`,
      `# TYPE ${p}model_load_duration_seconds gauge`,
      `# HELP ${p}model_size_bytes Size of the version's model file (0 for code models)`,
      `# TYPE ${p}model_size_bytes gauge`,
    );
    for (const v of versions) {
      if (!v.model) continue;
      const labels = metricLabels([
        ["model", v.name],
        ["version", v.version],
      ]);
      out.push(`${p}model_load_duration_seconds{${labels}} ${v.model.info.loadTimeMs / 1000}`);
      out.push(`${p}model_size_bytes{${labels}} ${v.model.info.sizeBytes}`);
    }
    const counters: [string, string, (r: import("../shadow.ts").ShadowReport) => number][] = [
      ["shadow_rows_total", "Rows a shadow version scored next to the live one", (r) => r.rows],
      [
        "shadow_disagreements_total",
        "Rows whose shadow prediction differed from the live answer",
        (r) => r.disagreements,
      ],
      ["shadow_errors_total", "Shadow calls that failed", (r) => r.errors],
      ["shadow_skipped_total", "Shadow calls skipped because the shadow queue was full", (r) => r.skipped],
    ];
    const reports = [...shadows.reports()];
    for (const [name, help, get] of counters) {
      out.push(`# HELP ${p}${name} ${help}`, `# TYPE ${p}${name} counter`);
      for (const [model, r] of reports)
        out.push(
          `${p}${name}{${metricLabels([
            ["model", model],
            ["shadow_version", r.version],
          ])}} ${get(r)}`,
        );
    }
  };
}

/** The audit log's counters: entries written and dropped (by reason), failed writes, rotations. */
export function auditCollector(audit: AuditLog): MetricsCollector {
  return (out, p) => {
    const c = audit.counters;
    out.push(
      `# HELP ${p}audit_written_total Audit log entries written`,
      `# TYPE ${p}audit_written_total counter`,
      `${p}audit_written_total ${c.written}`,
      `# HELP ${p}audit_dropped_total Audit log entries dropped, by reason`,
      `# TYPE ${p}audit_dropped_total counter`,
      `${p}audit_dropped_total{reason="queue_full"} ${c.droppedQueueFull}`,
      `${p}audit_dropped_total{reason="write_error"} ${c.droppedWriteError}`,
      `# HELP ${p}audit_write_errors_total Failed audit log writes (disk full, file unwritable)`,
      `# TYPE ${p}audit_write_errors_total counter`,
      `${p}audit_write_errors_total ${c.writeErrors}`,
      `# HELP ${p}audit_queue_entries Audit log entries waiting to be written`,
      `# TYPE ${p}audit_queue_entries gauge`,
      `${p}audit_queue_entries ${audit.queued}`,
    );
  };
}

/** PSI per monitored feature, and of the predictions, per version (null scores are left out). */
export function driftCollector(drift: DriftTracker): MetricsCollector {
  return (out, p) => {
    const all = drift.scores();
    out.push(
      `# HELP ${p}drift_psi Population stability index of a feature's live window against training`,
      `# TYPE ${p}drift_psi gauge`,
    );
    for (const m of all)
      for (const s of m.scores)
        if (s.psi !== null && s.feature !== PREDICTION_KEY)
          out.push(
            `${p}drift_psi{${metricLabels([
              ["model", m.model],
              ["version", m.version],
              ["feature", s.feature],
            ])}} ${s.psi}`,
          );
    out.push(
      `# HELP ${p}prediction_drift_psi Population stability index of the live predictions against training`,
      `# TYPE ${p}prediction_drift_psi gauge`,
    );
    for (const m of all)
      for (const s of m.scores)
        if (s.psi !== null && s.feature === PREDICTION_KEY)
          out.push(
            `${p}prediction_drift_psi{${metricLabels([
              ["model", m.model],
              ["version", m.version],
            ])}} ${s.psi}`,
          );
  };
}
