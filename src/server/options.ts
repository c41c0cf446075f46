/**
 * @module What a configuration means for one app: the settings routes read (every key, with the
 * declared defaults) and the access, drift, audit and TLS settings derived from their keys. Options
 * given as objects (a built audit log, explicit access settings) win over the keys.
 */

import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { accessKeys, type Config, defaultConfig } from "../config/config.ts";
import { type AuditLog, type AuditLogSettings, parseRedactRules } from "../observability/audit-log.ts";
import type { DriftTrackerOptions } from "../observability/drift.ts";
import type { AppSettings } from "./context.ts";
import type { AccessSettings } from "./plugins/access.ts";

/** Options of `buildApp`: any configuration key, plus objects a caller may build itself. */
export interface AppOptions extends Partial<Config> {
  /** A pino logger; defaults to JSON lines at `info`. */
  readonly logger?: Logger;
  /** Serve Prometheus metrics on `/metrics` (default true). */
  readonly metrics?: boolean;
  /** API keys, rate limits and CORS (default: derived from `apiKeys`, `rateLimit`, `cors`…). */
  readonly access?: AccessSettings;
  /** Serve HTTPS with this PEM key and certificate (default: read from `tlsKey` and `tlsCert`). */
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Drift monitoring (default: from the `drift*` keys, on unless `driftWindow` is 0); `false` turns it off. */
  readonly drift?: (DriftTrackerOptions & { readonly checkIntervalMs?: number }) | false;
  /** The audit (prediction) log: settings, or a log built by the caller (default: from `auditLog*` keys). */
  readonly audit?: AuditLogSettings | AuditLog;
}

/** Every key's value: the option where given, the declared default otherwise. */
export function settingsOf(options: AppOptions): AppSettings {
  const settings: Record<string, unknown> = { ...defaultConfig() };
  for (const key of Object.keys(settings)) {
    const v = (options as Record<string, unknown>)[key];
    if (v !== undefined) settings[key] = v;
  }
  return {
    ...(settings as unknown as Config),
    access: options.access ?? accessOf(settings as unknown as Config),
  };
}

/** Access settings of a config: undefined when no keys, limits or CORS are configured (no hook at all). */
export function accessOf(config: Config): AccessSettings | undefined {
  const keys = accessKeys(config);
  if (keys.size === 0 && config.rateLimit === 0 && config.cors === undefined) return undefined;
  return {
    keys: keys.size > 0 ? keys : undefined,
    docsAuth: config.docsAuth,
    rateLimit: config.rateLimit,
    rateLimitWindowMs: config.rateLimitWindowMs,
    cors: config.cors,
  };
}

/** Drift settings: the explicit option, or the `drift*` keys (off when the window is 0). */
export function driftOf(
  options: AppOptions,
  settings: Config,
): (DriftTrackerOptions & { readonly checkIntervalMs?: number }) | false {
  if (options.drift !== undefined) return options.drift;
  if (settings.driftWindow === 0) return false;
  return {
    window: settings.driftWindow,
    threshold: settings.driftThreshold,
    minRows: settings.driftMinRows,
    checkIntervalMs: settings.driftCheckIntervalMs,
  };
}

/** Audit log settings: the explicit option, or the `auditLog*` keys (off without `auditLog`). */
export function auditOf(
  options: AppOptions,
  settings: Config,
  logger: Logger,
): AuditLogSettings | AuditLog | undefined {
  if (options.audit) return options.audit;
  if (!settings.auditLog) return undefined;
  return {
    target: settings.auditLog,
    maxBytes: settings.auditLogMaxBytes,
    keep: settings.auditLogKeep,
    sample: settings.auditLogSample,
    redact: settings.auditLogRedact ? parseRedactRules(settings.auditLogRedact) : undefined,
    salt: settings.auditLogSalt,
    queue: settings.auditLogQueue,
    sync: settings.auditSync,
    syncIntervalMs: settings.auditSyncIntervalMs,
    onError: (err: Error) =>
      logger.warn({ err: err.message }, "audit log write failed; entries are dropped and counted"),
  };
}

/** TLS material: the explicit option, or the files named by `tlsKey` and `tlsCert`. */
export function httpsOf(
  options: AppOptions,
  settings: Config,
): { readonly key: string | Buffer; readonly cert: string | Buffer } | undefined {
  if (options.https) return options.https;
  if (!settings.tlsKey || !settings.tlsCert) return undefined;
  return { key: readFileSync(settings.tlsKey), cert: readFileSync(settings.tlsCert) };
}
