/**
 * The pickle loader worker is kept warm after small loads (starting one costs more than most loads)
 * but not after a large file: an idle worker never collects the heap a large load grew, which stayed
 * resident for the life of the process. An idle one is let go after a few seconds (its isolate stays
 * resident otherwise, in a server that may never load again).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import {
  idleLoaderWorkers,
  WARM_IDLE_MS,
  WARM_MAX_BYTES,
} from "../../../src/runtimes/loading/loader-worker-host.ts";
import { tempDir } from "../../lifecycle-helpers.ts";

const fixture = fileURLToPath(new URL("../../fixtures/sklearn/1.9.1/", import.meta.url));

/** A valid pickle (protocol 4) of one bytes object of `n` bytes: unpickles, but is no model. */
function bigPickle(n: number): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(n));
  return Buffer.concat([Buffer.from([0x80, 0x04, 0x8e]), len, Buffer.alloc(n, 7), Buffer.from(".")]);
}

describe("the pickle loader worker", () => {
  it("stays warm after a small load and is let go after a large one", async () => {
    const small = await loadModel(join(fixture, "hgb-iris-str", "model.joblib"));
    assert.equal(small.signature.output.task, "classification");
    assert.equal(idleLoaderWorkers(), 1);
    const file = join(tempDir("big-pickle"), "big.pkl");
    writeFileSync(file, bigPickle(WARM_MAX_BYTES + 1024));
    await assert.rejects(loadModel(file), (e: { code?: string }) => e.code?.startsWith("MS_") === true);
    assert.equal(idleLoaderWorkers(), 0);
  });

  it("is let go once idle for WARM_IDLE_MS, and a later load starts a new one", {
    timeout: 30_000,
  }, async () => {
    await loadModel(join(fixture, "hgb-iris-str", "model.joblib"));
    assert.equal(idleLoaderWorkers(), 1);
    await new Promise((r) => setTimeout(r, WARM_IDLE_MS / 2));
    // Used again before its time: kept, and its idle time starts over.
    await loadModel(join(fixture, "hgb-iris-str", "model.joblib"));
    await new Promise((r) => setTimeout(r, WARM_IDLE_MS * 0.75));
    assert.equal(idleLoaderWorkers(), 1);
    await new Promise((r) => setTimeout(r, WARM_IDLE_MS * 0.5));
    assert.equal(idleLoaderWorkers(), 0);
    const again = await loadModel(join(fixture, "hgb-iris-str", "model.joblib"));
    assert.equal(again.signature.output.task, "classification");
    assert.equal(idleLoaderWorkers(), 1);
  });
});
