/**
 * @module The admin API (`/admin/…`, off unless enabled): load and unload versions, set the default,
 * roll back, split traffic between versions, and mirror traffic to a shadow version.
 */

import type { FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { SplitArm } from "../../registry/model-registry.ts";
import { runAction } from "../admin-actions.ts";
import type { AppContext } from "../context.ts";
import { describeVersion } from "./models.ts";

type NameParams = { name: string };
type VersionParams = { name: string; version: string };

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw Errors.bodyNotObject(body === undefined ? "an empty body" : typeof body, "send a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Registers the admin routes (the caller decides whether the API is on). */
export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { registry } = ctx;
  const known = (name: string) => {
    if (!registry.names().includes(name)) throw Errors.modelNotFound(name, registry.names());
  };
  const state = (name: string) => ({
    name,
    defaultVersion: registry.defaultVersion(name) ?? null,
    pinnedVersion: registry.pinned(name) ?? null,
    history: registry.history(name),
    split: registry.split(name) ?? null,
    shadow: registry.shadow(name) ? (ctx.shadows.report(name) ?? { version: registry.shadow(name) }) : null,
    versions: registry.entries(name).map((v) => ({
      ...describeVersion(v, v.version === registry.defaultVersion(name), false),
      inflight: registry.inflight(v),
    })),
  });

  app.get("/admin/models", async () => ({
    defaultModel: registry.defaultModel() ?? null,
    repository: ctx.repository
      ? { dir: ctx.repository.dir, versionsOnDisk: ctx.repository.known().length }
      : null,
    models: registry.names().map(state),
  }));

  app.post("/admin/models/:name/versions/:version/load", async (req, reply) => {
    const { name, version } = req.params as VersionParams;
    await runAction(ctx, { kind: "load", name, version });
    const res = registry.get(name, version)!;
    if (res.state !== "ready") {
      reply.code(422);
      return { loaded: false, ...describeVersion(res, false, false) };
    }
    return { loaded: true, ...describeVersion(res, registry.defaultVersion(name) === version, false) };
  });

  app.delete("/admin/models/:name/versions/:version", async (req) => {
    const { name, version } = req.params as VersionParams;
    known(name);
    if (!registry.get(name, version)) throw Errors.versionNotFound(name, version, registry.versions(name));
    await runAction(ctx, { kind: "unload", name, version });
    return { unloaded: true, name, version };
  });

  app.put("/admin/models/:name/default", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    const v = bodyObject(req.body).version;
    if (v !== null && typeof v !== "string")
      throw Errors.badRequest('"version" must be a version label, or null for the newest');
    if (typeof v === "string") registry.resolve(name, v);
    await runAction(ctx, { kind: "default", name, version: v ?? null });
    return state(name);
  });

  app.post("/admin/models/:name/rollback", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    const res = await runAction(ctx, { kind: "rollback", name });
    const to = (res as { rolledBackTo: string }).rolledBackTo;
    req.log.warn({ model: name, version: to }, "rolled back");
    return state(name);
  });

  app.put("/admin/models/:name/split", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    const arms = bodyObject(req.body).arms;
    if (
      !Array.isArray(arms) ||
      arms.some((a) => typeof a?.version !== "string" || typeof a?.weight !== "number")
    ) {
      throw Errors.badRequest('"arms" must be [{"version": "1", "weight": 90}, …]');
    }
    for (const a of arms as SplitArm[]) registry.resolve(name, a.version);
    await runAction(ctx, { kind: "split", name, arms: arms as SplitArm[] });
    return state(name);
  });

  app.delete("/admin/models/:name/split", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    await runAction(ctx, { kind: "split", name, arms: null });
    return state(name);
  });

  app.put("/admin/models/:name/shadow", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    const v = bodyObject(req.body).version;
    if (typeof v !== "string") throw Errors.badRequest('"version" must be a version label');
    registry.resolve(name, v);
    await runAction(ctx, { kind: "shadow", name, version: v });
    return state(name);
  });

  app.delete("/admin/models/:name/shadow", async (req) => {
    const { name } = req.params as NameParams;
    known(name);
    await runAction(ctx, { kind: "shadow", name, version: null });
    return state(name);
  });
}
