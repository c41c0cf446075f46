/** @module The `GET /metrics` (Prometheus text) and `GET /stats` (JSON) routes of an app's {@link ServiceMetrics}. */

import type { FastifyInstance } from "fastify";
import type { ServiceMetrics } from "../../observability/metrics.ts";

/** Registers `GET /metrics` (Prometheus text format) and `GET /stats` (JSON) in `scope`. */
export function metricsRoute(scope: FastifyInstance, metrics: ServiceMetrics, startedAt: number): void {
  scope.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.contentType);
    return metrics.render();
  });
  scope.get("/stats", async () => metrics.stats(startedAt));
}
