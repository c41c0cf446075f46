/**
 * How failures are logged (src/server/plugins/error-handler.ts): the faults of one request with their
 * stack every time; the refusals a busy or starting server answers by design (MS_OVERLOADED,
 * MS_MODEL_NOT_READY) without a stack at warn level, and the other 5xx with their error at error level,
 * both at most one line per code per interval.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Errors } from "../../../src/errors.ts";
import { FailureThrottle, logFailure } from "../../../src/server/plugins/error-handler.ts";

type Line = { fields: Record<string, unknown>; msg: string; level: string };

function collector(): { lines: Line[]; log: (f: Record<string, unknown>, m: string, l?: "warn") => void } {
  const lines: Line[] = [];
  return { lines, log: (fields, msg, level) => lines.push({ fields, msg, level: level ?? "error" }) };
}

describe("the failure throttle", () => {
  it("logs a code's first refusal, counts the next ones within the interval, and says how many with the next line", () => {
    let now = 0;
    const r = new FailureThrottle(1000, () => now);
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

  it("logs a storm of a state 5xx (a timeout) once, with its error, at error level", () => {
    const { lines, log } = collector();
    const errors = Array.from({ length: 30 }, () => Errors.inferenceTimeout("m", "1", 50));
    for (const [i, e] of errors.entries()) logFailure(e, e, `t${i}`, log);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, "error");
    assert.equal(lines[0]!.msg, "server error");
    assert.equal(lines[0]!.fields.err, errors[0]);
    assert.equal(lines[0]!.fields.code, "MS_INFERENCE_TIMEOUT");
    assert.equal(lines[0]!.fields.notLoggedBefore, 0);
  });

  it("logs the faults of one request (internal, inference failed) with their error every time, and 4xx not at all", () => {
    const { lines, log } = collector();
    const fault = new Error("boom");
    for (let i = 0; i < 3; i++) logFailure(fault, Errors.inferenceFailed("m", "1", `q${i}`), `q${i}`, log);
    for (let i = 0; i < 2; i++) logFailure(fault, Errors.internal(`i${i}`), `i${i}`, log);
    logFailure(undefined, Errors.badRequest("no"), "q9", log);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.fields.code, l.fields.reqId, l.fields.err === fault]),
      [
        ["error", "server error", "MS_INFERENCE_FAILED", "q0", true],
        ["error", "server error", "MS_INFERENCE_FAILED", "q1", true],
        ["error", "server error", "MS_INFERENCE_FAILED", "q2", true],
        ["error", "server error", "MS_INTERNAL", "i0", true],
        ["error", "server error", "MS_INTERNAL", "i1", true],
      ],
    );
  });
});
