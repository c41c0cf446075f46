/**
 * @module The logger: pino JSON lines, or human-readable lines when writing to a terminal.
 */

import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

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
}

/** Builds the process logger. Secrets in headers are redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const dest = options.destination ?? process.stdout;
  const usePretty =
    options.format === "pretty" || (options.format === "auto" && (dest as { isTTY?: boolean }).isTTY === true);
  const base = {
    level: options.level,
    base: { service: "modelserve" },
    redact: { paths: ["req.headers.authorization", 'req.headers["x-api-key"]'], censor: "[redacted]" },
  };
  if (usePretty) {
    return pino(base, pretty({ destination: dest, colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" }));
  }
  return pino(base, dest);
}
