/**
 * @module The configuration: one typed schema, filled from defaults < config file < environment
 * (`MODELSERVE_*`) < CLI flags < code, and validated once before anything listens.
 */

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { Errors } from "../errors.ts";
import { parseRedactRules } from "../observability/audit-log.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../observability/logger.ts";
import { KeyChecker, parseKeyList, readKeysFile } from "../security/api-keys.ts";

/** A model to load at startup. */
export interface ModelEntry {
  /** Model name (default: the file name without extension, or the definition's name). */
  readonly name?: string;
  /** Version label (default: "1", or the definition's version). */
  readonly version?: string;
  /** Model file path. */
  readonly path: string;
  /** Runtime hint (`sklearn`, `xgboost`, `lightgbm`, `onnx`, `typescript`). */
  readonly runtime?: string;
}

/** The whole configuration. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** Port of the Open Inference Protocol gRPC service; undefined: off. */
  readonly grpcPort?: number;
  readonly models: readonly ModelEntry[];
  readonly defaultModel?: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly maxBatchSize: number;
  readonly bodyLimit: number;
  readonly shutdownTimeoutMs: number;
  readonly docs: boolean;
  readonly title: string;
  readonly trustProxy: boolean;
  readonly repository?: string;
  readonly watch: boolean;
  readonly watchIntervalMs: number;
  readonly stage?: string;
  readonly keepVersions: number;
  readonly admin: boolean;
  readonly split?: string;
  readonly shadow?: string;
  readonly lazy: boolean;
  readonly memoryBudgetMb: number;
  readonly apiKeys?: string;
  readonly apiKeysFile?: string;
  readonly docsAuth: boolean;
  readonly rateLimit: number;
  readonly rateLimitWindowMs: number;
  readonly maxInflight: number;
  readonly inferenceTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly cors?: string;
  readonly tlsKey?: string;
  readonly tlsCert?: string;
  readonly production: boolean;
  readonly auditLog?: string;
  readonly auditLogMaxBytes: number;
  readonly auditLogKeep: number;
  readonly auditLogSample: number;
  readonly auditLogRedact?: string;
  readonly auditLogSalt?: string;
  readonly auditLogQueue: number;
  readonly driftWindow: number;
  readonly driftThreshold: number;
  readonly driftMinRows: number;
  readonly driftCheckIntervalMs: number;
}

type Kind = "string" | "int" | "number" | "bool" | "enum" | "models";

/** One configuration key: its type, default, environment variable, CLI flag and description. */
export interface ConfigKey {
  readonly key: keyof Config;
  readonly kind: Kind;
  readonly env: string;
  readonly flag: string;
  readonly default: unknown;
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

/** Every key. `docs/config.md` has one row per entry (a test checks it). */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: "host",
    kind: "string",
    env: "MODELSERVE_HOST",
    flag: "--host",
    default: "127.0.0.1",
    description: "Interface to listen on (`0.0.0.0` in containers)",
  },
  {
    key: "port",
    kind: "int",
    env: "MODELSERVE_PORT",
    flag: "--port",
    default: 8000,
    min: 0,
    max: 65535,
    description: "TCP port (0 picks a free one)",
  },
  {
    key: "grpcPort",
    kind: "int",
    env: "MODELSERVE_GRPC_PORT",
    flag: "--grpc-port",
    default: undefined,
    min: 0,
    max: 65535,
    description: "Port of the Open Inference Protocol (V2) gRPC service; off when unset (0 picks a free one)",
  },
  {
    key: "models",
    kind: "models",
    env: "MODELSERVE_MODELS",
    flag: "<model…> arguments",
    default: [],
    description: "Models to load: `path` or `name=path`, comma-separated in the environment",
  },
  {
    key: "defaultModel",
    kind: "string",
    env: "MODELSERVE_DEFAULT_MODEL",
    flag: "--default-model",
    default: undefined,
    description: "Model that `/predict` uses (default: the first)",
  },
  {
    key: "logLevel",
    kind: "enum",
    env: "MODELSERVE_LOG_LEVEL",
    flag: "--log-level",
    default: "info",
    values: LOG_LEVELS,
    description: "Log level",
  },
  {
    key: "logFormat",
    kind: "enum",
    env: "MODELSERVE_LOG_FORMAT",
    flag: "--log-format",
    default: "auto",
    values: ["json", "pretty", "auto"],
    description: "JSON lines, human-readable, or human-readable on a terminal only",
  },
  {
    key: "maxBatchSize",
    kind: "int",
    env: "MODELSERVE_MAX_BATCH_SIZE",
    flag: "--max-batch-size",
    default: 10_000,
    min: 1,
    max: 10_000_000,
    description: "Rows a batch request may hold (more → 413)",
  },
  {
    key: "bodyLimit",
    kind: "int",
    env: "MODELSERVE_BODY_LIMIT",
    flag: "--body-limit",
    default: 10 * 1024 * 1024,
    min: 1024,
    max: 1024 ** 3,
    description: "Largest request body in bytes (more → 413)",
  },
  {
    key: "shutdownTimeoutMs",
    kind: "int",
    env: "MODELSERVE_SHUTDOWN_TIMEOUT_MS",
    flag: "--shutdown-timeout",
    default: 10_000,
    min: 0,
    max: 3_600_000,
    description: "How long in-flight requests may take to finish after SIGTERM/SIGINT",
  },
  {
    key: "docs",
    kind: "bool",
    env: "MODELSERVE_DOCS",
    flag: "--no-docs",
    default: true,
    description: "Serve `/openapi.json`, `/docs` and `/redoc`",
  },
  {
    key: "title",
    kind: "string",
    env: "MODELSERVE_TITLE",
    flag: "--title",
    default: "modelserve",
    description: "Title of the OpenAPI document",
  },
  {
    key: "trustProxy",
    kind: "bool",
    env: "MODELSERVE_TRUST_PROXY",
    flag: "--trust-proxy",
    default: false,
    description: "Trust `X-Forwarded-*` headers (behind a reverse proxy)",
  },
  {
    key: "repository",
    kind: "string",
    env: "MODELSERVE_REPOSITORY",
    flag: "--repository",
    default: undefined,
    description: "Serve a model repository `DIR/<name>/<version>/` (bundles or model files)",
  },
  {
    key: "watch",
    kind: "bool",
    env: "MODELSERVE_WATCH",
    flag: "--watch",
    default: false,
    description:
      "Watch the repository: new versions load, self-check, warm up and become the default; removed ones drain and unload",
  },
  {
    key: "watchIntervalMs",
    kind: "int",
    env: "MODELSERVE_WATCH_INTERVAL_MS",
    flag: "--watch-interval",
    default: 1000,
    min: 50,
    max: 3_600_000,
    description: "How often the repository is scanned, in milliseconds",
  },
  {
    key: "stage",
    kind: "string",
    env: "MODELSERVE_STAGE",
    flag: "--stage",
    default: undefined,
    description: "Serve only repository versions promoted to this stage (`modelserve promote`)",
  },
  {
    key: "keepVersions",
    kind: "int",
    env: "MODELSERVE_KEEP_VERSIONS",
    flag: "--keep-versions",
    default: 2,
    min: 1,
    max: 1000,
    description:
      "Ready versions kept loaded per model when watching (the default and the one before, for instant rollback)",
  },
  {
    key: "admin",
    kind: "bool",
    env: "MODELSERVE_ADMIN",
    flag: "--admin",
    default: false,
    description: "Serve the `/admin` API (load, unload, default, rollback, split, shadow)",
  },
  {
    key: "split",
    kind: "string",
    env: "MODELSERVE_SPLIT",
    flag: "--split",
    default: undefined,
    description: "A/B splits: `name=version:weight,version:weight`, several separated by `;`",
  },
  {
    key: "shadow",
    kind: "string",
    env: "MODELSERVE_SHADOW",
    flag: "--shadow",
    default: undefined,
    description: "Shadow versions: `name=version`, several separated by `;`",
  },
  {
    key: "lazy",
    kind: "bool",
    env: "MODELSERVE_LAZY",
    flag: "--lazy",
    default: false,
    description: "Load repository versions on their first request instead of at start",
  },
  {
    key: "memoryBudgetMb",
    kind: "int",
    env: "MODELSERVE_MEMORY_BUDGET_MB",
    flag: "--memory-budget",
    default: 0,
    min: 0,
    max: 1_048_576,
    description:
      "With --lazy: most megabytes of model files kept loaded; least-recently-used idle versions unload beyond it (0: no limit)",
  },
  {
    key: "apiKeys",
    kind: "string",
    env: "MODELSERVE_API_KEYS",
    flag: "--api-keys",
    default: undefined,
    description:
      "Accepted API keys, comma-separated `key`, `id:key` or `id:key:scope+scope` (scopes predict, read, admin; default predict+read). Prefer the environment to the flag",
  },
  {
    key: "apiKeysFile",
    kind: "string",
    env: "MODELSERVE_API_KEYS_FILE",
    flag: "--api-keys-file",
    default: undefined,
    description: 'JSON file of hashed keys: `{"keys": [{"id", "sha256", "scopes"}]}` (`modelserve keys new`)',
  },
  {
    key: "docsAuth",
    kind: "bool",
    env: "MODELSERVE_DOCS_AUTH",
    flag: "--docs-auth",
    default: false,
    description: "With API keys: `/docs`, `/redoc` and `/openapi.json` need a key with the read scope",
  },
  {
    key: "rateLimit",
    kind: "int",
    env: "MODELSERVE_RATE_LIMIT",
    flag: "--rate-limit",
    default: 0,
    min: 0,
    max: 100_000_000,
    description: "Requests per window per API key (per client IP without keys); more → 429 (0: off)",
  },
  {
    key: "rateLimitWindowMs",
    kind: "int",
    env: "MODELSERVE_RATE_LIMIT_WINDOW_MS",
    flag: "--rate-limit-window",
    default: 60_000,
    min: 1000,
    max: 86_400_000,
    description: "The rate-limit window in milliseconds",
  },
  {
    key: "maxInflight",
    kind: "int",
    env: "MODELSERVE_MAX_INFLIGHT",
    flag: "--max-inflight",
    default: 0,
    min: 0,
    max: 1_000_000,
    description:
      "Most predictions running at once; more → 503 with Retry-After instead of queueing (0: no limit)",
  },
  {
    key: "inferenceTimeoutMs",
    kind: "int",
    env: "MODELSERVE_INFERENCE_TIMEOUT_MS",
    flag: "--inference-timeout",
    default: 0,
    min: 0,
    max: 3_600_000,
    description: "A prediction taking longer answers 503 `MS_INFERENCE_TIMEOUT` (0: no limit)",
  },
  {
    key: "requestTimeoutMs",
    kind: "int",
    env: "MODELSERVE_REQUEST_TIMEOUT_MS",
    flag: "--request-timeout",
    default: 300_000,
    min: 0,
    max: 3_600_000,
    description: "Longest time to receive a whole request (slow clients get 408 and are closed; 0: no limit)",
  },
  {
    key: "cors",
    kind: "string",
    env: "MODELSERVE_CORS",
    flag: "--cors",
    default: undefined,
    description: "CORS: `*` or comma-separated allowed origins (default: off, no CORS headers)",
  },
  {
    key: "tlsKey",
    kind: "string",
    env: "MODELSERVE_TLS_KEY",
    flag: "--tls-key",
    default: undefined,
    description: "PEM private key file: serve HTTPS (with tlsCert)",
  },
  {
    key: "tlsCert",
    kind: "string",
    env: "MODELSERVE_TLS_CERT",
    flag: "--tls-cert",
    default: undefined,
    description: "PEM certificate (chain) file: serve HTTPS (with tlsKey)",
  },
  {
    key: "production",
    kind: "bool",
    env: "MODELSERVE_PRODUCTION",
    flag: "--production",
    default: false,
    description:
      "Production preset: refuses to start without API keys; turns on rate limit 6000/min, max 256 in flight, 30 s timeouts, docs behind keys, JSON logs (each overridable)",
  },
  {
    key: "auditLog",
    kind: "string",
    env: "MODELSERVE_AUDIT_LOG",
    flag: "--audit-log",
    default: undefined,
    description: "Audit (prediction) log: a file to append JSON lines to, or `stdout` (default: off)",
  },
  {
    key: "auditLogMaxBytes",
    kind: "int",
    env: "MODELSERVE_AUDIT_LOG_MAX_BYTES",
    flag: "--audit-log-max-bytes",
    default: 100 * 1024 * 1024,
    min: 1024,
    max: 1024 ** 4,
    description: "Rotate the audit log file beyond this size",
  },
  {
    key: "auditLogKeep",
    kind: "int",
    env: "MODELSERVE_AUDIT_LOG_KEEP",
    flag: "--audit-log-keep",
    default: 5,
    min: 1,
    max: 1000,
    description: "Rotated audit log files kept (`file.1` newest)",
  },
  {
    key: "auditLogSample",
    kind: "number",
    env: "MODELSERVE_AUDIT_LOG_SAMPLE",
    flag: "--audit-log-sample",
    default: 1,
    min: 0,
    max: 1,
    description: "Share of predictions logged, 0 to 1",
  },
  {
    key: "auditLogRedact",
    kind: "string",
    env: "MODELSERVE_AUDIT_LOG_REDACT",
    flag: "--audit-log-redact",
    default: undefined,
    description: "Input fields to redact: `field:drop`, `field:hash` or `field:mask`, comma-separated",
  },
  {
    key: "auditLogSalt",
    kind: "string",
    env: "MODELSERVE_AUDIT_LOG_SALT",
    flag: "--audit-log-salt",
    default: undefined,
    description: "Salt of `hash` redactions (keep it secret, so hashes cannot be matched against guesses)",
  },
  {
    key: "auditLogQueue",
    kind: "int",
    env: "MODELSERVE_AUDIT_LOG_QUEUE",
    flag: "--audit-log-queue",
    default: 10_000,
    min: 1,
    max: 10_000_000,
    description: "Audit entries waiting for the disk; beyond it entries are dropped and counted",
  },
  {
    key: "driftWindow",
    kind: "int",
    env: "MODELSERVE_DRIFT_WINDOW",
    flag: "--drift-window",
    default: 5000,
    min: 0,
    max: 1_000_000,
    description:
      "Live rows per feature compared with the training statistics of versions that have them (0: drift off)",
  },
  {
    key: "driftThreshold",
    kind: "number",
    env: "MODELSERVE_DRIFT_THRESHOLD",
    flag: "--drift-threshold",
    default: 0.2,
    min: 0,
    max: 100,
    description: "PSI above which a feature counts as drifted (a warning is logged once per crossing)",
  },
  {
    key: "driftMinRows",
    kind: "int",
    env: "MODELSERVE_DRIFT_MIN_ROWS",
    flag: "--drift-min-rows",
    default: 200,
    min: 1,
    max: 1_000_000,
    description: "Rows a window needs before its PSI is reported",
  },
  {
    key: "driftCheckIntervalMs",
    kind: "int",
    env: "MODELSERVE_DRIFT_CHECK_INTERVAL_MS",
    flag: "--drift-check-interval",
    default: 30_000,
    min: 100,
    max: 86_400_000,
    description: "How often drift is checked against the threshold (and crossings logged)",
  },
];

/** What `production` turns on, unless a source sets the key itself. */
export const PRODUCTION_DEFAULTS: Readonly<Partial<Record<keyof Config, unknown>>> = {
  rateLimit: 6000,
  maxInflight: 256,
  inferenceTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
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

/** Parses `name=path` or `path` into a model entry. */
export function parseModelArg(arg: string): ModelEntry {
  const eq = arg.indexOf("=");
  if (eq > 0 && !arg.slice(0, eq).includes("/")) {
    const name = arg.slice(0, eq);
    const rest = arg.slice(eq + 1);
    const at = name.indexOf("@");
    return at > 0
      ? { name: name.slice(0, at), version: name.slice(at + 1), path: rest }
      : { name, path: rest };
  }
  return { path: arg };
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
  const known = new Set(CONFIG_KEYS.map((k) => k.key as string));
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
          throw bad('must hold paths or {"path", "name"?, "version"?, "runtime"?} objects');
        }
        return entry as ModelEntry;
      });
    }
  }
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
export function accessKeys(config: Pick<Config, "apiKeys" | "apiKeysFile">): KeyChecker {
  return new KeyChecker([
    ...(config.apiKeys ? parseKeyList(config.apiKeys) : []),
    ...(config.apiKeysFile ? readKeysFile(config.apiKeysFile) : []),
  ]);
}
