/** @module Model listing routes: `/models`, `/models/{name}`, `/models/{name}/versions/{version}`. */

import type { FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { ModelVersion } from "../../registry/model-registry.ts";
import type { AppContext, RequestModels } from "../context.ts";

/** The public view of one version. */
export function describeVersion(
  v: ModelVersion,
  isDefault: boolean,
  full: boolean,
  lastUsed?: number,
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    name: v.name,
    version: v.version,
    state: v.state,
    default: isDefault,
    since: v.since,
  };
  if (v.error) base.error = v.error;
  if (v.meta) base.meta = v.meta;
  if (lastUsed !== undefined) base.lastUsedAt = new Date(lastUsed).toISOString();
  if (v.model) {
    const sig = v.model.signature;
    base.task = sig.output.task;
    base.features = sig.inputs.length;
    base.info = v.model.info;
    if (full) base.signature = sig;
    else base.capabilities = sig.capabilities;
  }
  return base;
}

/** Registers the listing routes. */
export function modelRoutes(app: FastifyInstance, ctx: AppContext, models: RequestModels): void {
  const { registry } = ctx;
  const describeName = (name: string, full: boolean) => {
    const def = registry.defaultVersion(name);
    return {
      name,
      defaultVersion: def ?? null,
      pinnedVersion: registry.pinned(name) ?? null,
      ...(registry.split(name) ? { split: registry.split(name) } : {}),
      ...(registry.shadow(name)
        ? { shadow: ctx.shadows.report(name) ?? { version: registry.shadow(name), rows: 0 } }
        : {}),
      versions: registry
        .entries(name)
        .map((v) => describeVersion(v, v.version === def, full, registry.lastUsed(v.name, v.version))),
    };
  };

  app.get("/models", async () => ({
    defaultModel: registry.defaultModel() ?? null,
    models: registry.names().map((n) => describeName(n, false)),
  }));

  app.get("/models/:name", async (req) => {
    const { name } = req.params as { name: string };
    if (!registry.names().includes(name)) throw Errors.modelNotFound(name, registry.names());
    models.set(req, { model: name });
    return describeName(name, true);
  });

  app.get("/models/:name/versions/:version", async (req) => {
    const { name, version } = req.params as { name: string; version: string };
    if (!registry.names().includes(name)) throw Errors.modelNotFound(name, registry.names());
    const v = registry.get(name, version);
    if (!v) throw Errors.versionNotFound(name, version, registry.versions(name));
    models.set(req, { model: name, version });
    return describeVersion(v, registry.defaultVersion(name) === version, true);
  });
}
