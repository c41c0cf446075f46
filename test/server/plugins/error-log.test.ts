/**
 * How failures are logged (src/server/plugins/error-handler.ts): faults and 5xx with their stack at
 * error level; the refusals a busy or starting server answers by design (MS_OVERLOADED,
 * MS_MODEL_NOT_READY) without a stack, at warn level, at most one line per code per interval.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Errors } from "../../../src/errors.ts";
import { logFailure, RefusalLog } from "../../../src/server/plugins/error-handler.ts";

type Line = { fields: Record<string, unknown>; msg: string; level: string };

function collector(): { lines: Line[]; log: (f: Record<string, unknown>, m: string, l?: "warn") => void } {
  const lines: Line[] = [];
  return { lines, log: (fields, msg, level) => lines.push({ fields, msg, level: level ?? "error" }) };
}

describe("the refusal log", () => {
  it("logs a code's first refusal, counts the next ones within the interval, and says how many with the next line", () => {
    let now = 0;
    const r = new RefusalLog(1000, () => now);
    assert.deepEqual(r.note("MS_OVERLOADED"), { suppressed: 0 });
    for (let i = 0; i < 3; i++) {
      now += 300;
      assert.equal(r.note("MS_OVERLOADED"), undefined);
    }
    // Another code has its own interval.
    assert.deepEqual(r.note("MS_MODEL_NOT_READY"), { suppressed: 0 });
    now = 1000;
    assert.deepEqual(r.note("MS_OVERLOADED"), { suppressed: 3 });
    now = 1999;
    assert.equal(r.note("MS_OVERLOADED"), undefined);
    now = 2000;
    assert.deepEqual(r.note("MS_OVERLOADED"), { suppressed: 1 });
  });
});

describe("logFailure", () => {
  it("logs a refusal storm as one warning without a stack", () => {
    const { lines, log } = collector();
    // The first refusals of this process (this file's only ones): one line, the rest counted.
    for (let i = 0; i < 50; i++)
      logFailure(undefined, Errors.modelNotReady("m", "1", "loading"), `r${i}`, log);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.level, "warn");
    assert.equal(line!.msg, "request refused");
    assert.equal(line!.fields.code, "MS_MODEL_NOT_READY");
    assert.equal(line!.fields.reqId, "r0");
    assert.equal(line!.fields.notLoggedBefore, 0);
    assert.equal("err" in line!.fields, false);
  });

  it("logs other 5xx with the error (its stack) at error level, every time, and 4xx not at all", () => {
    const { lines, log } = collector();
    const fault = new Error("boom");
    for (let i = 0; i < 3; i++) logFailure(fault, Errors.inferenceFailed("m", "1", `q${i}`), `q${i}`, log);
    logFailure(undefined, Errors.badRequest("no"), "q9", log);
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.equal(l.level, "error");
      assert.equal(l.msg, "server error");
      assert.equal(l.fields.err, fault);
      assert.equal(l.fields.code, "MS_INFERENCE_FAILED");
    }
  });
});
