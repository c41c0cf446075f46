import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { ModelCache, parseChecksum } from "../../src/storage/cache.ts";
import { baseName, displaySource, isRemote, parseRemote } from "../../src/storage/source.ts";
import type { GetResult, ObjectStore } from "../../src/storage/store.ts";
import { tempDir } from "../lifecycle-helpers.ts";

const dir = tempDir("cache-unit");
after(() => rmSync(dir, { recursive: true, force: true }));

/** An in-memory store: objects by key with an ETag of their content. */
class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  gets = 0;
  async get(key: string, o: { ifNoneMatch?: string }): Promise<GetResult> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`no ${key}`);
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    if (o.ifNoneMatch === etag) return "not-modified";
    this.gets++;
    return { body: Readable.from([body]), info: { size: body.length, etag } };
  }
}

const limits = { maxBytes: 1 << 20, timeoutMs: 1000, retries: 0 };

describe("the cache", () => {
  it("keeps the least recently used entries out once it is over its limit", async () => {
    const store = new MemoryStore();
    for (const k of ["a", "b", "c"]) store.objects.set(k, Buffer.alloc(400, k));
    const cache = new ModelCache({ dir, maxBytes: 1000, limits, evictionGraceMs: 0 });
    const a = await cache.fetch(store, "a", "mem://a", "a.bin");
    const b = await cache.fetch(store, "b", "mem://b", "b.bin");
    assert.equal(a.outcome, "downloaded");
    // A fresh cache object (as another process would have) only knows entries by their use times.
    const other = new ModelCache({ dir, maxBytes: 1000, limits, evictionGraceMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    await other.fetch(store, "b", "mem://b", "b.bin"); // b used again: a is now the least recent
    const c = await other.fetch(store, "c", "mem://c", "c.bin");
    assert.equal(c.outcome, "downloaded");
    assert.equal(existsSync(a.path), false, "a evicted");
    assert.equal(existsSync(b.path), true);
    assert.equal(existsSync(c.path), true);
    assert.equal(readdirSync(join(dir, "objects")).length, 2);
  });

  it("answers unchanged without a body when the ETag matches", async () => {
    const store = new MemoryStore();
    store.objects.set("m", Buffer.from("model bytes"));
    const cache = new ModelCache({ dir, maxBytes: 0, limits });
    assert.equal((await cache.fetch(store, "m", "mem://m", "m.bin")).outcome, "downloaded");
    assert.equal((await cache.fetch(store, "m", "mem://m", "m.bin")).outcome, "unchanged");
    assert.equal(store.gets, 1);
  });
});

describe("sources", () => {
  it("parses s3 and https sources and shows them without secrets", () => {
    assert.deepEqual(parseRemote("s3://bucket/a/b.joblib"), {
      kind: "s3",
      bucket: "bucket",
      key: "a/b.joblib",
      uri: "s3://bucket/a/b.joblib",
    });
    assert.equal(parseRemote("models/a.joblib"), undefined);
    assert.equal(isRemote("HTTPS://x/y"), true);
    assert.equal(
      displaySource("https://user:pw@host:8443/m.json?X-Amz-Signature=abc"),
      "https://host:8443/m.json?…",
    );
    assert.equal(baseName(parseRemote("https://h/dir/My%20Model.joblib?x=1")!), "My_Model.joblib");
    assert.equal(parseChecksum(`${"ab".repeat(32)}  model.joblib\n`), "ab".repeat(32));
    assert.equal(parseChecksum("not a sum"), undefined);
  });
});
