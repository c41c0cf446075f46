/** @module Health routes: liveness, readiness (503 until ready and while shutting down), summary. */

import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.ts";

/** Registers `/health/live`, `/health/ready` and `/health`. */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { registry } = ctx;
  const readiness = () => {
    if (ctx.shuttingDown || ctx.draining) return { ready: false, reason: "shutting down" };
    if (!registry.allReady()) {
      const pending = registry.all().filter((v) => v.state === "loading");
      return {
        ready: false,
        reason:
          pending.length > 0
            ? `loading: ${pending.map((v) => `${v.name}@${v.version}`).join(", ")}`
            : "no model is ready",
      };
    }
    return { ready: true, reason: undefined };
  };

  app.get("/health/live", async () => ({ status: "live" }));

  app.get("/health/ready", async (_req, reply) => {
    const r = readiness();
    if (!r.ready) {
      reply.code(503).header("retry-after", "1");
      return { status: "not-ready", reason: r.reason };
    }
    return { status: "ready" };
  });

  app.get("/health", async (_req, reply) => {
    const r = readiness();
    if (!r.ready) reply.code(503);
    return {
      status: r.ready ? "ok" : "not-ready",
      ...(r.reason ? { reason: r.reason } : {}),
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      defaultModel: registry.defaultModel() ?? null,
      // Remote sources: "stale" means the store is unreachable and the last verified copy is served.
      ...(ctx.storage && ctx.storage.all().length > 0 ? { storage: ctx.storage.all() } : {}),
      models: registry.names().map((name) => ({
        name,
        defaultVersion: registry.defaultVersion(name) ?? null,
        versions: registry.entries(name).map((v) => ({
          version: v.version,
          state: v.state,
          features: v.model?.signature.inputs.length ?? null,
          task: v.model?.signature.output.task ?? null,
        })),
      })),
    };
  });
}
