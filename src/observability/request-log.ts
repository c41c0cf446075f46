/**
 * @module The one log line per request, written straight to the logger's stream in pino's own JSON
 * line format. It is the hottest log call there is: building it by hand costs a fraction of a general
 * `logger.info(obj)` (which dominated the per-request cost of a small model).
 */

import pino, { type Logger } from "pino";
import { redactUrl } from "../security/redact-url.ts";
import { numberText } from "../util/number-text.ts";
import { stringText } from "../util/string-text.ts";

/** The fields of a request line. */
export interface RequestLogFields {
  readonly reqId: string;
  readonly method: string;
  readonly route: string | null;
  /** The raw URL, for requests that matched no known route pattern (secret query values are redacted here). */
  readonly url?: string;
  readonly model?: string;
  readonly version?: string;
  /** Id of the API key that called (never the key itself), when keys are on. */
  readonly keyId?: string;
  readonly status: number;
  readonly latencyMs: number;
}

/**
 * Methods, routes, model names, versions and key ids repeat from line to line: their JSON text is kept
 * (bounded: a server sees few of each; past the bound the cache starts over).
 */
function quoter(): (s: string) => string {
  const known = new Map<string, string>();
  return (s) => {
    let q = known.get(s);
    if (q === undefined) {
      if (known.size >= 512) known.clear();
      q = stringText(s);
      known.set(s, q);
    }
    return q;
  };
}

/** Returns a function that logs a request line at `info` through `logger`'s destination. */
export function requestLogger(logger: Logger): (f: RequestLogFields) => void {
  const stream = (logger as unknown as Record<symbol, { write(line: string): void } | undefined>)[
    pino.symbols.streamSym
  ];
  const chindings = (logger as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym];
  // Loggers with custom serializers, formatters or a non-standard shape keep the general path.
  if (!stream || typeof stream.write !== "function" || typeof chindings !== "string") {
    return (f) => logger.info({ ...f, ...(f.url === undefined ? {} : { url: redactUrl(f.url) }) }, "request");
  }
  const q = quoter();
  return (f) => {
    if (!logger.isLevelEnabled("info")) return;
    // Time and latency through numberText: `${n}` leaves a string in the old generation for each value V8's
    // number-string cache misses (every new millisecond, most latencies).
    let line = `{"level":30,"time":${numberText(Date.now())}${chindings},"reqId":${stringText(f.reqId)},"method":${q(f.method)},"route":${
      f.route === null ? "null" : q(f.route)
    }`;
    if (f.url !== undefined) line += `,"url":${stringText(redactUrl(f.url))}`;
    if (f.model !== undefined) line += `,"model":${q(f.model)}`;
    if (f.version !== undefined) line += `,"version":${q(f.version)}`;
    if (f.keyId !== undefined) line += `,"keyId":${q(f.keyId)}`;
    line += `,"status":${f.status},"latencyMs":${numberText(f.latencyMs)},"msg":"request"}\n`;
    stream.write(line);
  };
}
