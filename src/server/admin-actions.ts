/**
 * @module The admin API's changes as data ({@link ClusterAction}), applied by {@link applyAction} on
 * this process's registry. A single process applies them at once; with several workers each worker
 * applies the same action at the same agreed instant (`at`), so every worker switches together.
 */

import { Errors } from "../errors.ts";
import type { ModelVersion } from "../registry/model-registry.ts";
import type { ClusterAction } from "./cluster-hooks.ts";
import type { AppContext } from "./context.ts";

/** What an action answers: the state of a loaded version, or the rollback target. */
export type ActionResult =
  | { readonly state: ModelVersion["state"]; readonly error?: ModelVersion["error"] }
  | { readonly rolledBackTo: string }
  | { readonly done: true };

/** Loads a version from the served repository (the admin API's `load`). */
async function loadFromRepository(ctx: AppContext, name: string, version: string): Promise<ActionResult> {
  const repo = ctx.repository;
  if (!repo) throw Errors.badRequest("loading needs a repository (serve --repository DIR)");
  const found = await repo.find(name, version);
  if (!found)
    throw Errors.versionNotFound(
      name,
      version,
      repo
        .known()
        .filter((v) => v.name === name)
        .map((v) => v.version),
    );
  const existing = ctx.registry.get(name, version);
  if (existing && existing.state !== "failed") throw Errors.duplicateModel(name, version);
  const res = await repo.load(found);
  return { state: res.state, ...(res.error ? { error: res.error } : {}) };
}

/**
 * Applies one action to this process's registry. Loads run at once (a new version is promoted only
 * when allowed); routing changes run at `at` (epoch ms; now when it has passed).
 */
export async function applyAction(
  ctx: AppContext,
  action: ClusterAction,
  at = Date.now(),
): Promise<ActionResult> {
  const { registry } = ctx;
  const done = { done: true } as const;
  switch (action.kind) {
    case "load":
      return loadFromRepository(ctx, action.name, action.version);
    case "unload": {
      // The version stops taking requests at `at`; its drain and close follow.
      let drained: Promise<void> = Promise.resolve();
      await registry.clock.at(at, () => {
        drained = registry.unload(action.name, action.version);
      });
      await drained;
      return done;
    }
    case "default":
      await registry.clock.at(at, () => registry.setDefaultVersion(action.name, action.version ?? undefined));
      return done;
    case "rollback": {
      let to = "";
      await registry.clock.at(at, () => {
        to = registry.rollback(action.name);
      });
      return { rolledBackTo: to };
    }
    case "split":
      await registry.clock.at(at, () => registry.setSplit(action.name, action.arms ?? undefined));
      return done;
    case "shadow":
      await registry.clock.at(at, () => registry.setShadow(action.name, action.version ?? undefined));
      return done;
    case "approve":
      await registry.clock.at(at, () => {
        registry.gate?.approve(action.name, action.version);
        registry.changed();
      });
      return done;
  }
}

/** Applies an action on this process, or on every worker when the app is one of several. */
export function runAction(ctx: AppContext, action: ClusterAction): Promise<ActionResult> {
  return ctx.cluster ? (ctx.cluster.run(action) as Promise<ActionResult>) : applyAction(ctx, action);
}
