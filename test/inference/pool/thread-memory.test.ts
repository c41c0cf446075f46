/**
 * A pool thread that runs out of heap: only its call fails (`MS_INFERENCE_THREAD_FAILED`, 503), the
 * process lives on, the thread is replaced with its models bound again, and the next calls are answered.
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { isModelServeError } from "../../../src/errors.ts";
import { InferencePool } from "../../../src/inference/pool/inference-pool.ts";
import type { FeatureTable } from "../../../src/runtimes/runtime.ts";

const pool = new InferencePool(1, { heapMb: 32 });
after(() => pool.close());

const table = (values: number[]): FeatureTable => ({
  rows: values.length,
  columns: ["x"],
  numeric: Float64Array.from(values),
  strings: [undefined],
  tensors: [undefined],
});
const label = { name: "hungry", version: "1" };

it("a thread out of heap fails only its call and is replaced with its models bound again", async () => {
  const id = await pool.bind(
    { module: new URL("./hungry-binder.ts", import.meta.url).href, data: {} },
    label,
  );
  const ok = (await pool.call(id, ["predict"], table([7]), label)) as { values: { data: Float64Array } }[];
  assert.equal(ok[0].values.data[0], 7);

  // A call queued behind the one that exhausts the heap is answered by the replacement thread.
  const hungry = pool.call(id, ["predict"], table([1, 2]), label);
  const behind = pool.call(id, ["predict"], table([9]), label);
  const err = await hungry.then(
    () => assert.fail("the call that exhausted the heap was answered"),
    (e: unknown) => e,
  );
  assert.ok(isModelServeError(err), String(err));
  assert.equal(err.code, "MS_INFERENCE_THREAD_FAILED");
  assert.equal(err.statusCode, 503);
  assert.match(err.message, /"hungry" version "1" stopped \(Worker terminated due to reaching memory limit/);
  const next = (await behind) as { values: { data: Float64Array } }[];
  assert.equal(next[0].values.data[0], 9);
  assert.equal(pool.stats().replaced, 1);
  assert.equal(pool.stats().threads, 1);
  assert.deepStrictEqual(await pool.held(), [[id]]);
});
