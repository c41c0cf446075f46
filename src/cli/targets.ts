/**
 * @module What a path given to `modelserve bench` or `modelserve docker` is — a URL, a config file, a
 * bundle, a model repository or a model file — and serving it for a benchmark.
 */

import { readFile, stat } from "node:fs/promises";
import { isBundle, loadBundle } from "../bundle/open-bundle.ts";
import { type Deployment, type DeployOptions, deploy } from "../deploy.ts";
import { Errors } from "../errors.ts";

/** The kinds of target. */
export type TargetKind = "url" | "config" | "bundle" | "repository" | "model";

/** Tells what a command-line target is. A missing path is refused with `MS_MODEL_FILE_NOT_FOUND`. */
export async function classifyTarget(target: string): Promise<TargetKind> {
  if (/^https?:\/\//i.test(target)) return "url";
  if (await isBundle(target)) return "bundle";
  let isDir: boolean;
  try {
    isDir = (await stat(target)).isDirectory();
  } catch {
    throw Errors.modelFileNotFound(target);
  }
  if (isDir) return "repository";
  if (/\.json$/i.test(target)) {
    // A config file is a JSON object with models or a repository; XGBoost JSON models have a learner.
    try {
      const data = JSON.parse(await readFile(target, "utf8")) as unknown;
      if (typeof data === "object" && data !== null && !Array.isArray(data)) {
        const keys = Object.keys(data);
        if (!keys.includes("learner") && (keys.includes("models") || keys.includes("repository")))
          return "config";
      }
    } catch {
      // Not JSON: let the model loader say what is wrong with it.
    }
  }
  return "model";
}

/** Serves a config file, bundle, repository or model file with `deploy`. */
export async function deployTarget(
  target: string,
  kind: Exclude<TargetKind, "url">,
  options: DeployOptions,
): Promise<Deployment> {
  switch (kind) {
    case "config":
      return deploy([], { ...options, configFile: target });
    case "repository":
      return deploy([], { ...options, repository: target });
    case "bundle": {
      const b = await loadBundle(target);
      return deploy({ name: b.manifest.name, version: b.manifest.version, model: b.model }, options);
    }
    case "model":
      return deploy(target, options);
  }
}
