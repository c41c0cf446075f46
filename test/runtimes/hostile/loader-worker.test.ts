/**
 * The loader workers: pickle, XGBoost JSON/UBJSON and LightGBM text loads run off the event loop under a time and heap
 * budget; a load stopped by a budget is refused with MS_LOAD_BUDGET_EXCEEDED and the next load still
 * works.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { setLoadLimits } from "../../../src/runtimes/load-limits.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";

const iris = fileURLToPath(new URL("../../../examples/iris/models/random_forest.joblib", import.meta.url));
const bomb = fileURLToPath(new URL("../../fixtures/hostile/bombs/zlib-2gib.joblib", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ms-loader-worker-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pickle of one list holding `n` empty dicts: a few bytes each in the file, far more on a heap. */
function manyDicts(n: number): string {
  const body = new Uint8Array(4 + n + 3);
  body.set([0x80, 0x04, 0x5d, 0x28]); // PROTO 4, EMPTY_LIST, MARK
  body.fill(0x7d, 4, 4 + n); // EMPTY_DICT × n
  body.set([0x65, 0x2e], 4 + n); // APPENDS, STOP
  const file = join(dir, `dicts-${n}.pkl`);
  writeFileSync(file, body.subarray(0, 4 + n + 2));
  return file;
}

/**
 * An XGBoost JSON file (it names the learner) carrying one array of `n` numbers: about 2 bytes per
 * number in the file, 8 or more once decoded.
 */
function bigXgboostJson(n: number): string {
  const file = join(dir, `xgb-${n}.json`);
  const head = '{"learner": {"learner_model_param": {"num_feature": "4"}, "padding": [';
  writeFileSync(file, `${head}${"0,".repeat(n - 1)}0]}, "version": [2, 1, 0]}`);
  return file;
}

/** A LightGBM text model (by its head) padded with `n` header lines: megabytes of lines to read. */
function bigLightgbmText(n: number): string {
  const file = join(dir, `lgb-${n}.txt`);
  writeFileSync(file, `tree\nversion=v4\nnum_class=1\n${"padding=0 0 0 0 0 0 0 0\n".repeat(n)}`);
  return file;
}

const xgboostJson = fileURLToPath(
  new URL("../../fixtures/xgboost/multi_softprob_wine/model.json", import.meta.url),
);

describe("loader worker", { timeout: 300_000 }, () => {
  it("loads a sound model and answers as before", async () => {
    const m = await loadModel(iris);
    assert.equal(m.info.modelType, "RandomForestClassifier");
    assert.match(m.info.sha256, /^[0-9a-f]{64}$/);
  });

  it("refuses a stream of millions of tiny objects by the memory budget, then loads the next file", async () => {
    const previous = setLoadLimits({ memoryMb: 64 });
    try {
      // 4 million dicts from a 4 MB file: refused once it passes 64 MiB / 512 B = 131 072 values,
      // cleanly, long before the worker's heap limit.
      await assert.rejects(loadModel(manyDicts(4_000_000)), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" &&
          err.message.includes("more than 131072 values (loadMemoryMb is 64)")
        );
      });
      assert.equal((await loadModel(iris)).info.modelType, "RandomForestClassifier");
    } finally {
      setLoadLimits(previous);
    }
  });

  it("stops a load past the time budget", async () => {
    const previous = setLoadLimits({ timeoutMs: 50 });
    try {
      await assert.rejects(loadModel(bomb), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" && /longer than 50 ms \(loadTimeoutMs\)/.test(err.message)
        );
      });
    } finally {
      setLoadLimits(previous);
    }
  });

  it("refuses XGBoost JSON whose values would not fit the heap budget, then loads the next file", async () => {
    const previous = setLoadLimits({ memoryMb: 32 });
    try {
      // 1.5 million numbers (3 MB of text): more values than a 32 MB heap holds at 32 bytes each.
      await assert.rejects(loadModel(bigXgboostJson(1_500_000)), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" &&
          err.message.includes(
            "the JSON holds about 1500009 values, more than the 1048576 a 32 MB heap budget (loadMemoryMb) decodes",
          )
        );
      });
      const m = await loadModel(xgboostJson);
      assert.equal(m.info.framework, "xgboost");
    } finally {
      setLoadLimits(previous);
    }
  });

  it("stops an XGBoost decode past the time budget", async () => {
    const previous = setLoadLimits({ timeoutMs: 20 });
    try {
      await assert.rejects(loadModel(bigXgboostJson(5_000_000)), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" && /longer than 20 ms \(loadTimeoutMs\)/.test(err.message)
        );
      });
    } finally {
      setLoadLimits(previous);
    }
  });

  it("refuses LightGBM text whose lines and numbers would not fit the heap budget", async () => {
    const previous = setLoadLimits({ memoryMb: 32 });
    try {
      // 200 000 lines of 8 numbers: 1 600 000 tokens, more than 32 MB / 32 B = 1 048 576.
      await assert.rejects(loadModel(bigLightgbmText(200_000)), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" &&
          err.message.includes(
            "the text holds about 1600004 values, more than the 1048576 a 32 MB heap budget (loadMemoryMb) decodes",
          )
        );
      });
    } finally {
      setLoadLimits(previous);
    }
  });

  it("stops a LightGBM read past the time budget (the text is read in the worker)", async () => {
    const previous = setLoadLimits({ timeoutMs: 20 });
    try {
      await assert.rejects(loadModel(bigLightgbmText(600_000)), (e: unknown) => {
        const err = e as { code: string; message: string };
        return (
          err.code === "MS_LOAD_BUDGET_EXCEEDED" && /longer than 20 ms \(loadTimeoutMs\)/.test(err.message)
        );
      });
    } finally {
      setLoadLimits(previous);
    }
  });

  it("keeps the event loop free while a bomb inflates in the worker", async () => {
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    try {
      await assert.rejects(loadModel(bomb), { code: "MS_DECOMPRESSION_LIMIT" });
    } finally {
      clearInterval(tick);
    }
    const took = performance.now() - started;
    // Inflating to the cap takes seconds; the loop never stalls for anything like that.
    assert.ok(
      worst < Math.max(500, took / 4),
      `longest event-loop gap ${Math.round(worst)} ms in a ${Math.round(took)} ms load`,
    );
  });
});
