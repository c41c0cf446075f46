/**
 * @module A remote repository (`s3://bucket/prefix` with the `<name>/<version>/` layout) mirrored into a
 * local directory that the ordinary repository watcher serves. A version is copied only when complete
 * — no `.incomplete` marker, and for a bundle every file its manifest lists present with its size —
 * into a hidden temporary folder, each file checked (the manifest's sha256, or a published `.sha256`),
 * then renamed into place, so the watcher never sees half a version. A listing that fails changes
 * nothing: the last verified mirror keeps serving and the source is marked stale.
 */

import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type BundleFile, MANIFEST, safeRelativePath } from "../bundle/manifest.ts";
import { Errors, isModelServeError } from "../errors.ts";
import { parseChecksum } from "./cache.ts";
import { type Progress, type TransferLimits, withRetries, writeBody } from "./download.ts";
import type { StorageStatus } from "./status.ts";
import type { ListedObject, ObjectStore } from "./store.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const INCOMPLETE = ".incomplete";

/** Options of {@link RemoteRepository}. */
export interface RemoteRepositoryOptions {
  readonly store: ObjectStore;
  /** The source as shown (`s3://bucket/prefix/`). */
  readonly source: string;
  /** Key prefix of the repository in the store, ending with `/` (or empty). */
  readonly prefix: string;
  /** The local mirror. */
  readonly dir: string;
  readonly limits: TransferLimits;
  readonly status: StorageStatus;
  readonly onProgress?: (p: Progress) => void;
  readonly log?: (level: "info" | "warn", fields: Record<string, unknown>, msg: string) => void;
}

interface RemoteVersion {
  readonly name: string;
  readonly version: string;
  /** Files by path relative to the version folder. */
  readonly files: Map<string, ListedObject>;
}

/** What the mirror holds of a version: the listing it was copied from. */
interface MirrorState {
  readonly signature: string;
}

const signatureOf = (v: RemoteVersion) =>
  createHash("sha256")
    .update(
      [...v.files.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([p, o]) => `${p}\t${o.etag ?? ""}\t${o.size ?? ""}`)
        .join("\n"),
    )
    .digest("hex");

/** Keeps a local directory in step with a remote repository. */
export class RemoteRepository {
  readonly #o: RemoteRepositoryOptions;
  #syncing: Promise<boolean> | undefined;

  constructor(options: RemoteRepositoryOptions) {
    this.#o = options;
  }

  /** The local mirror directory. */
  get dir(): string {
    return this.#o.dir;
  }

  /** One pass: list, copy new and changed complete versions, remove deleted ones. Resolves true when the mirror changed. */
  sync(): Promise<boolean> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<boolean> {
    const { store, source, prefix, limits, status } = this.#o;
    await mkdir(join(this.#o.dir, ".state"), { recursive: true });
    let listed: ListedObject[];
    try {
      listed = await withRetries(source, limits, (signal) => store.list!(prefix, signal));
    } catch (err) {
      if (!isModelServeError(err) || err.code !== "MS_STORAGE_UNREACHABLE") throw err;
      status.set(source, "stale", err.message);
      this.#o.log?.(
        "warn",
        { source, err: err.message },
        "remote repository unreachable; serving the last mirror",
      );
      return false;
    }
    const { versions, stages } = this.#group(listed);
    let changed = false;
    const present = new Set<string>();
    for (const v of versions) {
      present.add(`${v.name}/${v.version}`);
      try {
        changed = (await this.#syncVersion(v)) || changed;
      } catch (err) {
        // One bad version never stops the others; it is retried on the next pass.
        this.#o.log?.(
          "warn",
          { source, model: v.name, version: v.version, err: (err as Error).message },
          "remote version not copied",
        );
      }
    }
    for (const [name, obj] of stages) changed = (await this.#syncStages(name, obj)) || changed;
    changed = (await this.#removeMissing(present)) || changed;
    status.set(source, "fresh");
    return changed;
  }

  #group(listed: readonly ListedObject[]): { versions: RemoteVersion[]; stages: Map<string, ListedObject> } {
    const byVersion = new Map<string, RemoteVersion>();
    const stages = new Map<string, ListedObject>();
    for (const o of listed) {
      const rel = o.key.slice(this.#o.prefix.length);
      const parts = rel.split("/");
      if (parts.length === 2 && parts[1] === "stages.json" && NAME.test(parts[0])) stages.set(parts[0], o);
      if (parts.length < 3 || !NAME.test(parts[0]) || !NAME.test(parts[1])) continue;
      const file = parts.slice(2).join("/");
      if (file === "" || file.endsWith("/")) continue;
      const id = `${parts[0]}/${parts[1]}`;
      if (!byVersion.has(id)) byVersion.set(id, { name: parts[0], version: parts[1], files: new Map() });
      byVersion.get(id)!.files.set(file, o);
    }
    return { versions: [...byVersion.values()], stages };
  }

  async #getText(key: string): Promise<string | undefined> {
    const { store, limits } = this.#o;
    return withRetries(`${this.#o.source}${key.slice(this.#o.prefix.length)}`, limits, async (signal) => {
      try {
        const got = await store.get(key, { signal });
        if (got === "not-modified") return undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of got.body as AsyncIterable<Buffer>) {
          size += c.length;
          if (size > 16 * 1024 * 1024) throw Errors.storageTooLarge(key, size, 16 * 1024 * 1024);
          chunks.push(c);
        }
        return Buffer.concat(chunks).toString("utf8");
      } catch (err) {
        if (isModelServeError(err) && err.code === "MS_STORAGE_NOT_FOUND") return undefined;
        throw err;
      }
    });
  }

  /** The files a complete version must hold, with their sha256 when known; undefined while incomplete. */
  async #expected(v: RemoteVersion): Promise<Map<string, string | undefined> | undefined> {
    if (v.files.has(INCOMPLETE)) return undefined;
    const key = (f: string) => `${this.#o.prefix}${v.name}/${v.version}/${f}`;
    if (!v.files.has(MANIFEST)) {
      const out = new Map<string, string | undefined>();
      for (const f of v.files.keys()) {
        if (f.endsWith(".sha256") && v.files.has(f.slice(0, -7))) continue;
        const sum = v.files.has(`${f}.sha256`)
          ? parseChecksum((await this.#getText(key(`${f}.sha256`))) ?? "")
          : undefined;
        out.set(f, sum);
      }
      return out;
    }
    let manifest: { files?: unknown };
    try {
      manifest = JSON.parse((await this.#getText(key(MANIFEST))) ?? "null") as { files?: unknown };
    } catch {
      return undefined; // still being written, or not a manifest: not touched
    }
    const files = Array.isArray(manifest?.files) ? (manifest.files as BundleFile[]) : undefined;
    if (!files) return undefined;
    const out = new Map<string, string | undefined>([[MANIFEST, undefined]]);
    for (const f of files) {
      if (!safeRelativePath(f.path)) return undefined;
      const listed = v.files.get(f.path);
      if (!listed || (listed.size !== undefined && listed.size !== f.size)) return undefined;
      out.set(f.path, f.sha256);
    }
    return out;
  }

  async #syncVersion(v: RemoteVersion): Promise<boolean> {
    const statePath = join(this.#o.dir, ".state", `${v.name}@${v.version}.json`);
    const target = join(this.#o.dir, v.name, v.version);
    const signature = signatureOf(v);
    const state = await readFile(statePath, "utf8")
      .then((t) => JSON.parse(t) as MirrorState)
      .catch(() => undefined);
    if (state?.signature === signature && (await stat(target).catch(() => undefined))) return false;
    const expected = await this.#expected(v);
    if (!expected) return false;
    const tmp = join(this.#o.dir, v.name, `.${v.version}.${randomUUID()}.tmp`);
    await mkdir(tmp, { recursive: true });
    try {
      for (const [file, sha] of expected) {
        const key = `${this.#o.prefix}${v.name}/${v.version}/${file}`;
        const where = `${this.#o.source}${v.name}/${v.version}/${file}`;
        const dest = join(tmp, file);
        await mkdir(dirname(dest), { recursive: true });
        await withRetries(where, this.#o.limits, async (signal) => {
          const got = await this.#o.store.get(key, { signal });
          if (got === "not-modified") throw Errors.storageUnreachable(where, "unexpected 304");
          await rm(dest, { force: true });
          const d = await writeBody(got, dest, where, this.#o.limits, signal, this.#o.onProgress);
          this.#o.status.counts.bytes += d.size;
          if (sha !== undefined && sha !== d.sha256)
            throw Errors.storageChecksumMismatch(where, sha, d.sha256);
        });
      }
      // Swap the complete copy into place in two renames; the watcher sees old or new, never half.
      const old = join(this.#o.dir, v.name, `.${v.version}.${randomUUID()}.old`);
      const had = await rename(target, old).then(
        () => true,
        () => false,
      );
      await rename(tmp, target);
      if (had) await rm(old, { recursive: true, force: true });
      await writeFile(statePath, JSON.stringify({ signature } satisfies MirrorState));
      this.#o.status.counts.downloaded++;
      this.#o.log?.(
        "info",
        { source: this.#o.source, model: v.name, version: v.version },
        "remote version copied",
      );
      return true;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async #syncStages(name: string, obj: ListedObject): Promise<boolean> {
    const path = join(this.#o.dir, name, "stages.json");
    const statePath = join(this.#o.dir, ".state", `${name}.stages.json`);
    const etag = await readFile(statePath, "utf8").catch(() => undefined);
    if (etag !== undefined && etag === (obj.etag ?? "")) return false;
    const text = await this.#getText(obj.key);
    if (text === undefined) return false;
    await mkdir(join(this.#o.dir, name), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
    await writeFile(statePath, obj.etag ?? "");
    return true;
  }

  /** Removes mirrored versions the store no longer lists (only after a successful listing). */
  async #removeMissing(present: ReadonlySet<string>): Promise<boolean> {
    let changed = false;
    for (const name of await readdir(this.#o.dir).catch(() => [] as string[])) {
      if (!NAME.test(name)) continue;
      for (const version of await readdir(join(this.#o.dir, name)).catch(() => [] as string[])) {
        if (!NAME.test(version) || version === "stages.json" || present.has(`${name}/${version}`)) continue;
        const gone = join(this.#o.dir, name, `.${version}.${randomUUID()}.old`);
        await rename(join(this.#o.dir, name, version), gone).catch(() => undefined);
        await rm(gone, { recursive: true, force: true });
        await rm(join(this.#o.dir, ".state", `${name}@${version}.json`), { force: true });
        changed = true;
      }
    }
    return changed;
  }
}
