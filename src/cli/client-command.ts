/**
 * @module `modelserve client --out client.ts <source>`: writes a typed TypeScript client for the
 * models of a running server (URL), a model file, or a config file (its models and repository).
 */

import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { type ClientModel, generateClient } from "../client/generate-client.ts";
import { loadConfig, parseModelArg } from "../config/config.ts";
import { loadAll, prepareModels } from "../deploy.ts";
import { ModelRegistry } from "../registry/model-registry.ts";
import { loadRepositoryVersion, scanRepository } from "../registry/repository.ts";
import type { ModelSignature } from "../runtimes/runtime.ts";
import { PACKAGE_VERSION } from "../version.ts";

type Listing = { models: { name: string; defaultVersion: string | null }[] };
type Detail = {
  versions: { version: string; state: string; default: boolean; signature?: ModelSignature }[];
};

async function getJson<T>(url: string, apiKey: string | undefined): Promise<T> {
  const res = await fetch(url, {
    headers: { accept: "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let reason = `HTTP ${res.status}`;
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (e) reason = `${e.message} [${e.code}]`;
    } catch {
      // Not JSON: the status is all there is.
    }
    throw new Error(
      `${url}: ${reason}${res.status === 401 ? " (pass --api-key or set MODELSERVE_API_KEY)" : ""}`,
    );
  }
  return JSON.parse(text) as T;
}

/** The signatures a server serves: each model's default version (else its first ready one). */
export async function modelsFromUrl(base: string, apiKey?: string): Promise<ClientModel[]> {
  const root = base.replace(/\/+$/, "");
  const list = await getJson<Listing>(`${root}/models`, apiKey);
  const out: ClientModel[] = [];
  for (const m of list.models) {
    const d = await getJson<Detail>(`${root}/models/${encodeURIComponent(m.name)}`, apiKey);
    const v =
      d.versions.find((x) => x.default && x.signature) ??
      d.versions.find((x) => x.state === "ready" && x.signature);
    if (v?.signature) out.push({ name: m.name, version: v.version, signature: v.signature });
  }
  return out;
}

/** Loads models into a registry and returns each name's default version's signature. */
async function fromRegistry(registry: ModelRegistry): Promise<ClientModel[]> {
  const out: ClientModel[] = [];
  for (const name of registry.names()) {
    const v = registry.resolve(name, registry.defaultVersion(name));
    out.push({ name, version: v.version, signature: v.model.signature });
  }
  await registry.close();
  return out;
}

/** Whether a `.json` file is a modelserve config rather than a model (XGBoost models are JSON too). */
async function isConfigFile(path: string): Promise<boolean> {
  if (!path.endsWith(".json")) return false;
  try {
    const data = JSON.parse(await readFile(path, "utf8")) as unknown;
    return typeof data === "object" && data !== null && ("models" in data || "repository" in data);
  } catch {
    return false;
  }
}

/** The signatures of a config file's models and repository, loaded offline. */
export async function modelsFromConfig(path: string): Promise<ClientModel[]> {
  const config = loadConfig({ file: path, env: {} });
  const registry = new ModelRegistry();
  await loadAll(registry, await prepareModels(config.models));
  if (config.repository) {
    for (const v of await scanRepository(config.repository, config.stage)) {
      const res = await registry.load(
        v.name,
        v.version,
        async () => (await loadRepositoryVersion(v)).model,
        v.path,
      );
      if (res.state === "failed")
        throw new Error(`${v.name}@${v.version} failed to load: ${res.error?.message}`);
    }
  }
  return fromRegistry(registry);
}

/** The signature of one model file. */
export async function modelsFromFile(path: string): Promise<ClientModel[]> {
  const registry = new ModelRegistry();
  await loadAll(registry, await prepareModels([parseModelArg(path)]));
  return fromRegistry(registry);
}

/** Reads the models of any source: `http(s)://` URL, config file, or model file. */
export async function clientModels(source: string, apiKey?: string): Promise<ClientModel[]> {
  if (/^https?:\/\//i.test(source)) return modelsFromUrl(source, apiKey);
  if (await isConfigFile(source)) return modelsFromConfig(source);
  return modelsFromFile(source);
}

/** Registers `client`. */
export function registerClientCommand(program: Command): void {
  program
    .command("client")
    .description(
      "write a typed TypeScript client for the models of a server URL, a model file or a config file",
    )
    .argument("<source>", "http(s):// URL of a running server, a model file, or a JSON config file")
    .requiredOption("--out <file>", "where to write the client (.ts)")
    .option("--api-key <key>", "API key for a URL source (default: MODELSERVE_API_KEY)")
    .action(async (source: string, opts: { out: string; apiKey?: string }) => {
      const models = await clientModels(source, opts.apiKey ?? process.env.MODELSERVE_API_KEY);
      if (models.length === 0) throw new Error(`no ready model found in ${source}`);
      const shown = /^https?:\/\//i.test(source) ? source.replace(/\/\/[^/@]*@/, "//") : source;
      await writeFile(opts.out, generateClient(models, { source: shown, generator: PACKAGE_VERSION }));
      process.stderr.write(`client for ${models.map((m) => m.name).join(", ")} written to ${opts.out}\n`);
    });
}
