/**
 * A pool thread does not pile up dead buffers: each table's buffers go back to the event loop with its
 * answer, and the thread collects its young generation once 8 MB of buffers are allocated (V8 alone
 * waits for tens of MB); the caller's table and the answers are those of the model inline.
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import { setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { tableFromRows } from "../../../src/schema/validator.ts";

const TREE = new URL("../../../examples/iris/models/decision_tree.joblib", import.meta.url).pathname;
const previous = setLoadLimits({ sharedMemory: true });
const pool = new InferencePool(1);
after(async () => {
  setLoadLimits(previous);
  await pool.close();
});

it("holds at most 8 MB of buffers after 40 calls that allocate ~15 MB, and answers as inline", async () => {
  const m = await loadModel(TREE);
  const label = { name: "tree", version: "1" };
  const id = await pool.bind(m.shared!, label);
  // 40 calls of 5 000 rows × 4 features: 160 kB of table and 120 kB of probabilities each, and the
  // walk's own arrays (15 MB left in the thread before, 11 MB with the tables sent back alone).
  const rows = Array.from({ length: 5000 }, (_, i) => [
    4 + (i % 40) / 10,
    3,
    1 + (i % 50) / 10,
    (i % 25) / 10,
  ]);
  const expected = await m.predictProba!(tableFromRows(m.signature, rows));
  const before = (await pool.heldDetails())[0]!.arrayBuffers;
  for (let i = 0; i < 40; i++) {
    const t = tableFromRows(m.signature, rows);
    const [proba] = await pool.call(id, ["predictProba"], t, label);
    assert.deepStrictEqual(proba, expected);
    assert.equal(t.numeric.length, 5000 * 4, "the caller's table is intact");
  }
  const held = (await pool.heldDetails())[0]!.arrayBuffers;
  assert.ok(held - before < 8.5 * 2 ** 20, `the thread holds ${held - before} more bytes of buffers`);
});
