/**
 * @module The verified local cache of remote objects. Each source has an entry directory, keyed by the
 * source, holding `entry.json` (ETag, version id, size, sha256) and the file under its content hash.
 * A download is written to a temporary file, checked (size; sha256 against a checksum when one is
 * published) and renamed into place, so a crash never leaves a half file that is later served, and
 * two processes sharing the volume at most download twice. A cached copy is re-hashed before use; one
 * that no longer matches is dropped and downloaded again. Least recently used entries go first when
 * the cache outgrows its limit.
 */

import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Errors, isModelServeError } from "../errors.ts";
import { type Progress, type TransferLimits, withRetries, writeBody } from "./download.ts";
import type { ObjectStore } from "./store.ts";

/** What the cache knows of one entry. */
export interface CacheEntry {
  readonly source: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly size: number;
  readonly sha256: string;
  /** The cached file, relative to the entry directory. */
  readonly file: string;
  readonly verifiedAt: string;
}

/** How a fetch ended. */
export interface Fetched {
  /** The verified local file. */
  readonly path: string;
  /** `downloaded`, `unchanged` (conditional request: no body sent) or `stale` (store unreachable). */
  readonly outcome: "downloaded" | "unchanged" | "stale";
  readonly entry: CacheEntry;
  /** Why the copy is stale. */
  readonly error?: string;
}

/** Options of {@link ModelCache}. */
export interface CacheOptions {
  readonly dir: string;
  /** Most bytes kept (0: no limit). */
  readonly maxBytes: number;
  readonly limits: TransferLimits;
  readonly onProgress?: (p: Progress) => void;
  /** Entries used this recently are never evicted: another process may be about to read them (default 10 min). */
  readonly evictionGraceMs?: number;
}

/** The sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

const keyOf = (source: string) => createHash("sha256").update(source).digest("hex").slice(0, 32);

/** Parses a published checksum: `hex` or `hex  name` (sha256sum's output). */
export function parseChecksum(text: string): string | undefined {
  const m = /^\s*([0-9a-fA-F]{64})\b/.exec(text);
  return m?.[1].toLowerCase();
}

/** The local cache. */
export class ModelCache {
  readonly #o: CacheOptions;
  /** Entry directories this process serves from: never evicted by it. */
  readonly #inUse = new Set<string>();

  constructor(options: CacheOptions) {
    this.#o = options;
  }

  /** The cache directory. */
  get dir(): string {
    return this.#o.dir;
  }

  #entryDir(source: string): string {
    return join(this.#o.dir, "objects", keyOf(source));
  }

  async #readEntry(dir: string): Promise<CacheEntry | undefined> {
    try {
      const e = JSON.parse(await readFile(join(dir, "entry.json"), "utf8")) as CacheEntry;
      const st = await stat(join(dir, e.file));
      return st.size === e.size ? e : undefined;
    } catch {
      return undefined;
    }
  }

  /** A cached copy whose bytes still hash to what was verified; a damaged one is removed. */
  async #verified(dir: string): Promise<CacheEntry | undefined> {
    const e = await this.#readEntry(dir);
    if (!e) return undefined;
    if ((await fileSha256(join(dir, e.file))) === e.sha256) return e;
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }

  /**
   * The local copy of `key` in `store`: the cached one when the store says it is unchanged (or cannot
   * be reached: then `stale`), else a fresh verified download. `checksum` fetches the published sha256
   * of the object, when there is one.
   */
  async fetch(
    store: ObjectStore,
    key: string,
    source: string,
    fileName: string,
    checksum?: () => Promise<string | undefined>,
  ): Promise<Fetched> {
    const dir = this.#entryDir(source);
    this.#inUse.add(dir);
    await mkdir(join(this.#o.dir, "tmp"), { recursive: true });
    const cached = await this.#verified(dir);
    let result: Fetched;
    try {
      result = await withRetries(source, this.#o.limits, async (signal) => {
        const got = await store.get(key, { ifNoneMatch: cached?.etag, signal });
        if (got === "not-modified" && cached)
          return { path: join(dir, cached.file), outcome: "unchanged", entry: cached };
        if (got === "not-modified")
          throw Errors.storageUnreachable(source, "the store answered 304 to an unconditional request");
        const tmp = join(this.#o.dir, "tmp", `${randomUUID()}.part`);
        const d = await writeBody(got, tmp, source, this.#o.limits, signal, this.#o.onProgress);
        try {
          const expected = checksum ? await checksum() : undefined;
          if (expected !== undefined && expected !== d.sha256)
            throw Errors.storageChecksumMismatch(source, expected, d.sha256);
          const file = join(d.sha256.slice(0, 16), fileName);
          await mkdir(join(dir, d.sha256.slice(0, 16)), { recursive: true });
          await rename(tmp, join(dir, file));
          const entry: CacheEntry = {
            source,
            etag: d.info.etag,
            versionId: d.info.versionId,
            size: d.size,
            sha256: d.sha256,
            file,
            verifiedAt: new Date().toISOString(),
          };
          const entryTmp = join(dir, `entry.${randomUUID()}.tmp`);
          await writeFile(entryTmp, JSON.stringify(entry, null, 2));
          await rename(entryTmp, join(dir, "entry.json"));
          // The previous content of this source, if any, is no longer referenced.
          if (cached && cached.file !== file)
            await rm(join(dir, cached.file.split("/")[0]), { recursive: true, force: true });
          return { path: join(dir, file), outcome: "downloaded", entry };
        } finally {
          await rm(tmp, { force: true });
        }
      });
    } catch (err) {
      const unreachable = isModelServeError(err) && err.code === "MS_STORAGE_UNREACHABLE";
      if (!unreachable || !cached) throw err;
      result = {
        path: join(dir, cached.file),
        outcome: "stale",
        entry: cached,
        error: (err as Error).message,
      };
    }
    await utimes(join(dir, "entry.json"), new Date(), new Date()).catch(() => undefined);
    if (result.outcome === "downloaded") await this.evict();
    return result;
  }

  /** Removes least recently used entries not in use until the cache fits its limit. */
  async evict(): Promise<void> {
    if (this.#o.maxBytes <= 0) return;
    const root = join(this.#o.dir, "objects");
    const entries: { dir: string; size: number; used: number }[] = [];
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const dir = join(root, name);
      const e = await this.#readEntry(dir);
      const used = (await stat(join(dir, "entry.json")).catch(() => undefined))?.mtimeMs ?? 0;
      entries.push({ dir, size: e?.size ?? 0, used });
    }
    let total = entries.reduce((s, e) => s + e.size, 0);
    const now = Date.now();
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.#o.maxBytes) break;
      if (this.#inUse.has(e.dir) || now - e.used < (this.#o.evictionGraceMs ?? 600_000)) continue;
      await rm(e.dir, { recursive: true, force: true });
      total -= e.size;
    }
  }
}
