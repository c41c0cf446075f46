/**
 * @module Remote sources for a server or a command: `s3://` and `https://` model files resolved to
 * verified local copies in the cache, and remote repositories mirrored for the repository watcher.
 * Built from the `storage` section of the configuration; records each source's condition.
 */

import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/keys.ts";
import { Errors, isModelServeError } from "../errors.ts";
import { type Fetched, ModelCache, parseChecksum } from "./cache.ts";
import type { Progress, TransferLimits } from "./download.ts";
import { HttpStore } from "./http-store.ts";
import { RemoteRepository } from "./remote-repository.ts";
import { S3Store } from "./s3-store.ts";
import { baseName, displaySource, parseRemote } from "./source.ts";
import { StorageStatus } from "./status.ts";
import type { ObjectStore } from "./store.ts";

/** The configuration keys storage reads. */
export type StorageConfig = Pick<
  Config,
  | "cacheDir"
  | "cacheMaxMb"
  | "s3Endpoint"
  | "s3Region"
  | "s3ForcePathStyle"
  | "httpHeaders"
  | "httpBearerToken"
  | "downloadMaxMb"
  | "downloadTimeoutMs"
  | "downloadRetries"
>;

/** Where logs go. */
export type StorageLog = (level: "info" | "warn", fields: Record<string, unknown>, msg: string) => void;

/** The default cache directory: `$XDG_CACHE_HOME/modelserve`, else `~/.cache/modelserve`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "modelserve");
}

const MB = 1024 * 1024;

/** Remote sources of one process. */
export class Storage {
  readonly status = new StorageStatus();
  readonly #config: StorageConfig;
  readonly #log: StorageLog | undefined;
  readonly #cache: ModelCache;
  readonly #limits: TransferLimits;
  readonly #s3 = new Map<string, S3Store>();
  #http: HttpStore | undefined;

  constructor(config: StorageConfig, log?: StorageLog, evictionGraceMs?: number) {
    this.#config = config;
    this.#log = log;
    this.#limits = {
      maxBytes: config.downloadMaxMb * MB,
      timeoutMs: config.downloadTimeoutMs,
      retries: config.downloadRetries,
    };
    this.#cache = new ModelCache({
      dir: config.cacheDir ?? defaultCacheDir(),
      maxBytes: config.cacheMaxMb * MB,
      limits: this.#limits,
      onProgress: (p) => this.#progress(p),
      evictionGraceMs,
    });
  }

  #progress(p: Progress): void {
    const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
    this.#log?.(
      "info",
      {
        source: p.source,
        bytes: p.bytes,
        total: p.total,
        rate: `${mb(p.bytesPerSecond)}/s`,
        ...(p.etaSeconds !== undefined ? { etaSeconds: Math.round(p.etaSeconds) } : {}),
      },
      `downloading: ${mb(p.bytes)}${p.total ? ` of ${mb(p.total)}` : ""}`,
    );
  }

  #store(source: ReturnType<typeof parseRemote> & object): ObjectStore {
    if (source.kind === "http") {
      this.#http ??= new HttpStore({
        bearerToken: this.#config.httpBearerToken,
        headers: this.#config.httpHeaders,
      });
      return this.#http;
    }
    let s = this.#s3.get(source.bucket);
    if (!s) {
      s = new S3Store(source.bucket, {
        endpoint: this.#config.s3Endpoint,
        region: this.#config.s3Region,
        forcePathStyle: this.#config.s3ForcePathStyle,
        timeoutMs: this.#config.downloadTimeoutMs,
      });
      this.#s3.set(source.bucket, s);
    }
    return s;
  }

  /** The verified local copy of a remote model file (downloaded, or unchanged in the cache, or stale). */
  async fetchFile(uri: string): Promise<Fetched & { readonly fileName: string }> {
    const source = parseRemote(uri);
    if (!source) throw Errors.invalidConfig(`${uri} is not an s3:// or http(s):// source`);
    const shown = displaySource(uri);
    const store = this.#store(source);
    const key = source.kind === "s3" ? source.key : source.url.href;
    const sumKey =
      source.kind === "s3"
        ? `${source.key}.sha256`
        : Object.assign(new URL(source.url.href), { pathname: `${source.url.pathname}.sha256` }).href;
    // The published checksum, when there is one: a missing one is no error, a wrong one is.
    const checksum = async () => {
      try {
        const got = await store.get(sumKey, { signal: AbortSignal.timeout(this.#config.downloadTimeoutMs) });
        if (got === "not-modified") return undefined;
        const chunks: Buffer[] = [];
        for await (const c of got.body as AsyncIterable<Buffer>) chunks.push(c);
        return parseChecksum(Buffer.concat(chunks).toString("utf8").slice(0, 4096));
      } catch (err) {
        if (isModelServeError(err) && err.code === "MS_STORAGE_NOT_FOUND") return undefined;
        throw err;
      }
    };
    const fileName = baseName(source);
    // The cache is keyed by the source without its query, so a re-signed URL keeps its cached copy.
    const cacheKey = source.kind === "s3" ? source.uri : `${source.url.origin}${source.url.pathname}`;
    try {
      const out = await this.#cache.fetch(store, key, cacheKey, fileName, checksum);
      this.status.counts[out.outcome]++;
      if (out.outcome === "downloaded") this.status.counts.bytes += out.entry.size;
      this.status.set(shown, out.outcome === "stale" ? "stale" : "fresh", out.error);
      if (out.outcome === "stale")
        this.#log?.("warn", { source: shown, err: out.error }, "source unreachable; serving the cached copy");
      return { ...out, fileName };
    } catch (err) {
      this.status.counts.failed++;
      throw err;
    }
  }

  /** A mirror of a remote repository (`s3://bucket/prefix`) in the cache directory. */
  repository(uri: string): RemoteRepository {
    const source = parseRemote(uri);
    if (source?.kind !== "s3")
      throw Errors.invalidConfig(`a remote repository must be s3://bucket/prefix, got ${displaySource(uri)}`);
    const prefix = source.key === "" || source.key.endsWith("/") ? source.key : `${source.key}/`;
    const id = createHash("sha256").update(`s3://${source.bucket}/${prefix}`).digest("hex").slice(0, 32);
    return new RemoteRepository({
      store: this.#store(source),
      source: `s3://${source.bucket}/${prefix}`,
      prefix,
      dir: join(this.#cache.dir, "repositories", id),
      limits: this.#limits,
      status: this.status,
      onProgress: (p) => this.#progress(p),
      log: this.#log,
    });
  }
}
