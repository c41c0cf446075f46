/**
 * @module The `GET /metrics` (Prometheus text) and `GET /stats` (JSON) routes of an app's
 * {@link ServiceMetrics}; with several workers, every worker's figures gathered into one answer.
 */

import type { FastifyInstance } from "fastify";
import type { ServiceMetrics } from "../../observability/metrics.ts";
import type { ClusterHooks } from "../cluster-hooks.ts";

/** Registers `GET /metrics` (Prometheus text format) and `GET /stats` (JSON) in `scope`. */
export function metricsRoute(
  scope: FastifyInstance,
  metrics: ServiceMetrics,
  startedAt: number,
  cluster?: ClusterHooks,
): void {
  scope.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.contentType);
    return cluster ? cluster.metrics() : metrics.render();
  });
  scope.get("/stats", async () => (cluster ? cluster.stats() : metrics.stats(startedAt)));
}
