/**
 * @module HTTPS (and plain HTTP) sources through Node's `fetch`: optional bearer token and extra
 * headers from the configuration, conditional requests on the ETag, redirects followed. The key is the
 * whole URL; a secret in its query string (a presigned URL) is never shown.
 */

import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { Errors } from "../errors.ts";
import { displaySource } from "./source.ts";
import { type GetResult, type ObjectStore, RetryableError } from "./store.ts";

/** Options of {@link HttpStore}. */
export interface HttpOptions {
  /** Sent as `Authorization: Bearer …`. */
  readonly bearerToken?: string;
  /** Extra headers, `Name: value` separated by newlines or `;`. */
  readonly headers?: string;
}

/** Parses `Name: value` pairs separated by newlines or `;`. */
export function parseHeaders(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (spec ?? "").split(/[\n;]/)) {
    const i = part.indexOf(":");
    if (i <= 0) continue;
    out[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Objects behind URLs. */
export class HttpStore implements ObjectStore {
  readonly #headers: Record<string, string>;

  constructor(options: HttpOptions) {
    this.#headers = {
      ...parseHeaders(options.headers),
      ...(options.bearerToken ? { authorization: `Bearer ${options.bearerToken}` } : {}),
    };
  }

  async get(url: string, options: { ifNoneMatch?: string; signal: AbortSignal }): Promise<GetResult> {
    const where = displaySource(url);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          ...this.#headers,
          ...(options.ifNoneMatch ? { "if-none-match": options.ifNoneMatch } : {}),
        },
        signal: options.signal,
        redirect: "follow",
      });
    } catch (err) {
      // DNS, refused connections, TLS failures and timeouts: the cause names which, never the URL's secrets.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RetryableError(cause?.code ?? cause?.message ?? (err as Error).name, err);
    }
    if (res.status === 304) return "not-modified";
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw Errors.storageNotFound(where);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw Errors.storageAccessDenied(where, `HTTP ${res.status}`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      if (res.status >= 500 || res.status === 429 || res.status === 408)
        throw new RetryableError(`HTTP ${res.status}`);
      throw Errors.storageUnreachable(where, `HTTP ${res.status}`);
    }
    const length = res.headers.get("content-length");
    return {
      body: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      info: {
        size: length === null ? undefined : Number(length),
        etag: res.headers.get("etag") ?? undefined,
      },
    };
  }
}
