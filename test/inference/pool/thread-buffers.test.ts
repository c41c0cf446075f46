/**
 * A pool thread keeps no table it was sent: each table's copy goes back moved with its answer, so the
 * thread's own array buffers stay small however many tables it has answered (before, they waited for
 * the thread's next full collection: tens of MB under 1000-row batches). The main thread's table is
 * untouched, and answers are exact.
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import type { FeatureTable } from "../../../src/runtimes/runtime.ts";

// This process's collector on demand: the tables a thread sends back are freed by this thread's
// collections (before any worker starts, so no isolate sees the flag change).
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const pool = new InferencePool(1);
after(() => pool.close());
const label = { name: "sum", version: "1" };

const ROWS = 1024;
const COLS = 128;
/** A 1 MB table (answers of 8 kB): row r holds r, r + 1, …, r + 127 (sum 128r + 8128). */
const table = (): FeatureTable => ({
  rows: ROWS,
  columns: Array.from({ length: COLS }, (_, c) => `x${c}`),
  numeric: Float64Array.from({ length: ROWS * COLS }, (_, i) => Math.floor(i / COLS) + (i % COLS)),
  strings: Array.from({ length: COLS }, () => undefined),
  tensors: [],
});

it("a pool thread keeps none of the tables it answered", async () => {
  const id = await pool.bind({ module: new URL("./sum-binder.ts", import.meta.url).href, data: {} }, label);
  const [{ arrayBuffers: before }] = await pool.heldDetails();
  const CALLS = 40;
  for (let i = 0; i < CALLS; i++) {
    const t = table();
    const [answer] = (await pool.call(id, ["predict"], t, label)) as { values: { data: Float64Array } }[];
    // The caller's table is its own (a copy was sent), whole after the call.
    assert.equal(t.numeric.length, ROWS * COLS);
    assert.equal(t.numeric[ROWS * COLS - 1], ROWS - 1 + COLS - 1);
    assert.equal(answer.values.data.length, ROWS);
    assert.equal(answer.values.data[ROWS - 1], 128 * (ROWS - 1) + 8128);
  }
  // What this thread received back is freed once it collects (buffers are swept just after).
  gc();
  await new Promise((r) => setTimeout(r, 200));
  const [{ arrayBuffers: afterCalls }] = await pool.heldDetails();
  const sent = CALLS * ROWS * COLS * 8;
  // 40 MB of tables went through; what the thread may still hold is its answers (8 kB each) until it
  // collects them. Keeping the tables, it held 40 MB more.
  assert.ok(
    afterCalls - before < sent / 10,
    `the thread holds ${((afterCalls - before) / 2 ** 20).toFixed(1)} MB more after ${sent / 2 ** 20} MB of tables`,
  );
});
