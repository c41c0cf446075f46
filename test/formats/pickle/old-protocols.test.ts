/**
 * @module Old pickle layouts: protocol 0 and 1 files recognised without a PROTO opcode, Python 2 STRING reprs
 * and raw-unicode-escape UNICODE arguments decoded as Python reads them, and malformed text refused cleanly.
 * The models' answers are checked against scikit-learn's by the conformance suite (legacy-* fixtures).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { detectCompression } from "../../../src/formats/compression/detect.ts";
import { loadModel } from "../../../src/runtimes/load-model.ts";
import { sklearnRuntime } from "../../../src/runtimes/sklearn/runtime.ts";

const fx = fileURLToPath(new URL("../../fixtures/sklearn/", import.meta.url));
const file = (v: string, c: string) => join(fx, v, c, "model.pkl");
const expected = (v: string, c: string) => JSON.parse(readFileSync(join(fx, v, c, "expected.json"), "utf8"));

describe("old pickle protocols", () => {
  it("recognises protocol 0 and 1 files by their first opcodes, and not text files", () => {
    for (const [v, c] of [
      ["1.2.1", "legacy-py2-protocol0"],
      ["1.2.1", "legacy-py3-protocol0"],
      ["1.9.1", "legacy-py3-protocol1"],
    ])
      assert.equal(detectCompression(readFileSync(file(v, c))), "none", c);
    const enc = new TextEncoder();
    for (const text of ["color\nred\nblue\n", "const x = 1;\n", "(not a pickle", '{"a": 1}'])
      assert.equal(detectCompression(enc.encode(text)), undefined, text);
  });

  it("a Python 2 protocol-0 file keeps its latin-1 labels as numpy's encoding='latin1' load gives them", async () => {
    const m = await loadModel(file("1.2.1", "legacy-py2-protocol0"));
    const want = expected("1.2.1", "legacy-py2-protocol0").classes as string[];
    assert.deepEqual(m.signature.output.classes, want);
    assert.ok(want.some((c) => c.includes("\xf3")) && want.some((c) => c.includes("\x85")));
  });

  it("refuses a malformed STRING argument with a clear error", async () => {
    const good = readFileSync(file("1.2.1", "legacy-py2-protocol0"));
    const text = Buffer.from(good).toString("latin1");
    const broken = Buffer.from(text.replace("S'_sklearn_version'", "S'_sklearn_version"), "latin1");
    await assert.rejects(
      sklearnRuntime.load({ fileName: "m.pkl", bytes: broken }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_MODEL" && /STRING/.test(e.message),
    );
    const badEscape = Buffer.from(text.replace("S'_sklearn_version'", "S'\\xZZ'"), "latin1");
    await assert.rejects(
      sklearnRuntime.load({ fileName: "m.pkl", bytes: badEscape }),
      (e: unknown) => isModelServeError(e) && e.code === "MS_INVALID_MODEL" && /escape/.test(e.message),
    );
  });
});
