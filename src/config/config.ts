/**
 * @module Loading the configuration: the keys declared in `keys.ts`, filled from defaults < config
 * file < environment (`MODELSERVE_*`) < CLI flags < code, and validated once before anything listens.
 */

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { Errors } from "../errors.ts";
import { parseRedactRules } from "../observability/audit-log.ts";
import { KeyChecker, parseKeyList, readKeysFile } from "../security/api-keys.ts";
import type { KeySpec } from "./declare.ts";
import { CONFIG, type Config, type ConfigKeyName } from "./keys.ts";
import { MODEL_ENTRY_KEYS, type ModelEntry, parseModelArg } from "./model-entry.ts";

export { CONFIG, type Config, type ConfigKeyName } from "./keys.ts";
export { type ModelEntry, parseModelArg } from "./model-entry.ts";

/** One declared key with its name, as listed in {@link CONFIG_KEYS}. */
export type ConfigKey = KeySpec<unknown> & { readonly key: ConfigKeyName };

/** Every key as a list, in declaration order. `docs/config.md` has one row per entry (a test checks it). */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.entries(CONFIG).map(
  ([key, spec]) => ({ key, ...spec }) as ConfigKey,
);

/** The value of every key when no source sets it. */
export function defaultConfig(): Config {
  return Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.default])) as unknown as Config;
}

/** What `production` turns on, unless a source sets the key itself. */
export const PRODUCTION_DEFAULTS: Readonly<Partial<Record<keyof Config, unknown>>> = {
  rateLimit: 6000,
  maxInflight: 256,
  inferenceTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
  drainDelayMs: 5000,
  docsAuth: true,
  logFormat: "json",
};

/** A partial configuration from one source. */
export type ConfigLayer = { -readonly [K in keyof Config]?: unknown };

/** The sources, lowest precedence first. */
export interface ConfigSources {
  /** A JSON config file path (`--config` or `MODELSERVE_CONFIG`). */
  readonly file?: string;
  /** The environment (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from CLI flags. */
  readonly cli?: ConfigLayer;
  /** Values passed in code (`deploy(model, options)`). */
  readonly code?: ConfigLayer;
}

function fromEnv(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const k of CONFIG_KEYS) {
    const raw = env[k.env];
    if (raw === undefined || raw === "") continue;
    if (k.kind === "models")
      layer.models = raw
        .split(",")
        .map((s) => parseModelArg(s.trim()))
        .filter((m) => m.path);
    else layer[k.key] = raw;
  }
  return layer;
}

function fromFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw Errors.invalidConfig(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw Errors.invalidConfig(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw Errors.invalidConfig(`config file ${path} must hold a JSON object`);
  }
  const known = new Set<string>(CONFIG_KEYS.map((k) => k.key));
  for (const key of Object.keys(data)) {
    if (!known.has(key))
      throw Errors.invalidConfig(`unknown key "${key}" in ${path}; known keys: ${[...known].join(", ")}`);
  }
  // Model paths in a config file are relative to the file, so a project can ship its config.
  const layer = data as ConfigLayer;
  if (Array.isArray(layer.models)) {
    const base = dirname(resolvePath(path));
    layer.models = (layer.models as unknown[]).map((m) => {
      const entry = typeof m === "string" ? parseModelArg(m) : (m as ModelEntry);
      return entry && typeof entry.path === "string" && !isAbsolute(entry.path)
        ? { ...entry, path: join(base, entry.path) }
        : m;
    });
  }
  return layer;
}

/** Converts and checks one value; strings (from env and flags) are parsed. */
function coerce(k: ConfigKey, value: unknown, source: string): unknown {
  const bad = (why: string) =>
    Errors.invalidConfig(`${k.key} (from ${source}) ${why}, got ${JSON.stringify(value)}`);
  switch (k.kind) {
    case "string":
      if (typeof value !== "string" || value === "") throw bad("must be a non-empty string");
      return value;
    case "int": {
      const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) throw bad("must be an integer");
      if ((k.min !== undefined && n < k.min) || (k.max !== undefined && n > k.max))
        throw bad(`must be between ${k.min} and ${k.max}`);
      return n;
    }
    case "count": {
      if (value === "auto") return value;
      const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) throw bad('must be a whole number or "auto"');
      if ((k.min !== undefined && n < k.min) || (k.max !== undefined && n > k.max))
        throw bad(`must be between ${k.min} and ${k.max}, or "auto"`);
      return n;
    }
    case "number": {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) throw bad("must be a number");
      if ((k.min !== undefined && n < k.min) || (k.max !== undefined && n > k.max))
        throw bad(`must be between ${k.min} and ${k.max}`);
      return n;
    }
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      throw bad("must be true or false");
    case "enum":
      if (typeof value !== "string" || !k.values!.includes(value))
        throw bad(`must be one of ${k.values!.join(", ")}`);
      return value;
    case "models": {
      if (!Array.isArray(value)) throw bad("must be a list of models");
      return value.map((m) => {
        const entry = typeof m === "string" ? parseModelArg(m) : m;
        if (typeof entry !== "object" || entry === null || typeof (entry as ModelEntry).path !== "string") {
          throw bad(
            `must hold paths or {"path", "name"?, "version"?, "runtime"?, ${MODEL_ENTRY_KEYS.map((f) => `"${f}"?`).join(", ")}} objects`,
          );
        }
        return checkedModelEntry(entry as ModelEntry, source);
      });
    }
  }
}

/**
 * A model entry with its own settings (`inference`, `microBatching`…) each checked and converted as the
 * server-wide key of its name; throws `MS_INVALID_CONFIG` naming the field, `source` and the model.
 */
export function checkedModelEntry(entry: ModelEntry, source: string): ModelEntry {
  const own: Record<string, unknown> = {};
  for (const field of MODEL_ENTRY_KEYS) {
    const v = (entry as unknown as Record<string, unknown>)[field];
    if (v === undefined) continue;
    const key = CONFIG_KEYS.find((c) => c.key === field)!;
    own[field] = coerce(key, v, `${source}, model ${entry.path}`);
  }
  return { ...entry, ...own };
}

/** Parses `--split` (`churn=1:90,2:10;iris=a:1,b:1`) into arms per model name. */
export function parseSplit(spec: string): Map<string, { version: string; weight: number }[]> {
  const out = new Map<string, { version: string; weight: number }[]>();
  for (const part of spec
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0)
      throw Errors.invalidConfig(`split "${part}" must look like name=version:weight,version:weight`);
    const arms = part
      .slice(eq + 1)
      .split(",")
      .map((a) => {
        const [version, weight] = a.trim().split(":");
        const w = Number(weight);
        if (!version || weight === undefined || !Number.isFinite(w) || w < 0) {
          throw Errors.invalidConfig(
            `split arm "${a.trim()}" of ${part.slice(0, eq)} must be version:weight with a weight ≥ 0`,
          );
        }
        return { version, weight: w };
      });
    out.set(part.slice(0, eq), arms);
  }
  return out;
}

/** Parses `--shadow` (`churn=2;iris=b`) into a shadow version per model name. */
export function parseShadow(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of spec
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, version] = part.split("=");
    if (!name || !version) throw Errors.invalidConfig(`shadow "${part}" must look like name=version`);
    out.set(name, version);
  }
  return out;
}

/** Merges the sources by precedence and validates; throws `MS_INVALID_CONFIG` with one readable line. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.MODELSERVE_CONFIG;
  const layers: [string, ConfigLayer][] = [];
  if (file) layers.push([`config file ${file}`, fromFile(file)]);
  layers.push(["environment", fromEnv(env)]);
  if (sources.cli) layers.push(["command line", sources.cli]);
  if (sources.code) layers.push(["code", sources.code]);
  const out: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const k of CONFIG_KEYS) {
    let value = k.default;
    for (const [source, layer] of layers) {
      const v = layer[k.key];
      if (v !== undefined) {
        value = coerce(k, v, source);
        explicit.add(k.key);
      }
    }
    out[k.key] = value;
  }
  if (out.production === true) {
    if (out.apiKeys === undefined && out.apiKeysFile === undefined)
      throw Errors.invalidConfig(
        "production mode needs API keys: set MODELSERVE_API_KEYS or --api-keys-file (see docs/security.md)",
      );
    for (const [key, value] of Object.entries(PRODUCTION_DEFAULTS)) if (!explicit.has(key)) out[key] = value;
  }
  // Keys, files and TLS pairs are checked now, so a typo stops the process before anything listens.
  if (typeof out.apiKeys === "string" || typeof out.apiKeysFile === "string")
    accessKeys(out as unknown as Config);
  if (typeof out.auditLogRedact === "string") parseRedactRules(out.auditLogRedact);
  if ((out.tlsKey === undefined) !== (out.tlsCert === undefined))
    throw Errors.invalidConfig("HTTPS needs both tlsKey and tlsCert");
  // Parse routing specs now, so a typo stops the process before anything listens.
  if (typeof out.split === "string") parseSplit(out.split);
  if (typeof out.shadow === "string") parseShadow(out.shadow);
  return out as unknown as Config;
}

/** The API keys a configuration accepts (environment list plus keys file); empty when none. */
export function accessKeys(config: Partial<Pick<Config, "apiKeys" | "apiKeysFile">>): KeyChecker {
  return new KeyChecker([
    ...(config.apiKeys ? parseKeyList(config.apiKeys) : []),
    ...(config.apiKeysFile ? readKeysFile(config.apiKeysFile) : []),
  ]);
}
