/**
 * @module The logger: pino JSON lines, or human-readable lines when writing to a terminal.
 */

import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import { batchedDestination } from "./line-batcher.ts";

// pino-pretty (and its dependencies) load only for human-readable logs: a JSON-logging server never needs them.
const require = createRequire(import.meta.url);

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Log line format: JSON, human-readable, or human-readable only on a terminal. */
export type LogFormat = "json" | "pretty" | "auto";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Destination stream (default stdout); tests pass a collector. */
  readonly destination?: NodeJS.WritableStream;
  /** A file to append JSON lines to instead of stdout (buffered like stdout). */
  readonly file?: string;
}

/** Credential-carrying headers, wherever a log object holds headers; values become `[redacted]`. */
const SECRET_HEADERS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
  "x-access-token",
  "x-amz-security-token",
];

/** Log object paths pino redacts: the secret headers under `req.headers`, `headers` and `res.headers`. */
export const SECRET_LOG_PATHS: readonly string[] = [
  "req.headers",
  "headers",
  "res.headers",
  "request.headers",
].flatMap((base) => SECRET_HEADERS.map((h) => `${base}[${JSON.stringify(h)}]`));

/** Builds the process logger. Secrets in headers are redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const dest = options.destination ?? (options.file ? undefined : process.stdout);
  const usePretty =
    options.format === "pretty" ||
    (options.format === "auto" && (dest as { isTTY?: boolean } | undefined)?.isTTY === true);
  const base = {
    level: options.level,
    base: { service: "modelserve" },
    redact: { paths: [...SECRET_LOG_PATHS], censor: "[redacted]" },
  };
  if (usePretty) {
    const pretty = require("pino-pretty") as typeof import("pino-pretty");
    return pino(
      base,
      pretty({
        destination: dest ?? process.stdout,
        colorize: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname,service",
      }),
    );
  }
  // Buffered, asynchronous writes to stdout: a write syscall per request line would cost throughput.
  if (options.destination === undefined) {
    return pino(base, batchedDestination({ dest: options.file ?? 1 }));
  }
  return pino(base, dest!);
}

/**
 * Any pino-compatible logger: pino itself, or an object with pino's level methods, `level` and
 * `child` (what Fastify accepts as its logger instance).
 */
export type PinoCompatibleLogger = import("fastify").FastifyBaseLogger;

/**
 * The logger of library use (`deploy`): the caller's, or none at all (level `silent`) unless a log
 * level was asked for in the options, the environment (`MODELSERVE_LOG_LEVEL`) or a config file. A
 * library must not write request lines to its host's stdout by default.
 */
export function libraryLogger(
  given: PinoCompatibleLogger | undefined,
  asked: { readonly logLevel?: unknown; readonly configFile?: string },
  env: Readonly<Record<string, string | undefined>>,
): Logger | undefined {
  if (given) return given as Logger;
  if (asked.logLevel !== undefined || asked.configFile || env.MODELSERVE_LOG_LEVEL) return undefined;
  return pino({ level: "silent" });
}
