import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeBatchingSummaries } from "../../src/inference/batching-summary.ts";
import type { BatchingSummary } from "../../src/inference/micro-batcher.ts";

const settings = { mode: "auto", maxRows: 64, maxWaitUs: 500, maxQueued: 1024 } as const;

describe("batching summary of several workers", () => {
  it("keeps the first worker's settings and every worker's decisions, marked with their worker", () => {
    const rf1 = { model: "rf", version: "1", singleUs: 7, batching: false, reason: "cheap" } as const;
    const rf2 = { ...rf1, singleUs: 8 };
    const knn = {
      model: "knn",
      version: "1",
      singleUs: 290,
      batchedRowUs: 95,
      batching: true,
      reason: "pays",
    } as const;
    const first: BatchingSummary = {
      ...settings,
      calibrated: [{ ...rf1, crowded: true, requestsPerTurn: 15 }],
    };
    const second: BatchingSummary = {
      ...settings,
      mode: "on",
      calibrated: [{ ...rf2, crowded: false, requestsPerTurn: 5 }, knn],
    };
    assert.deepEqual(
      mergeBatchingSummaries([
        { worker: 2, summary: second },
        { worker: 1, summary: first },
      ]),
      {
        ...second,
        calibrated: [
          { ...knn, worker: 2 },
          { ...rf1, crowded: true, requestsPerTurn: 15, worker: 1 },
          { ...rf2, crowded: false, requestsPerTurn: 5, worker: 2 },
        ],
      },
      "the first part's settings, decisions by model, version and worker",
    );
    assert.equal(mergeBatchingSummaries([]), undefined);
  });
});
