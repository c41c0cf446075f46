/** A string's JSON text written by hand against `JSON.stringify`: every ASCII character, and beyond. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringText } from "../../src/util/string-text.ts";

describe("stringText", () => {
  it("gives JSON.stringify's text for every ASCII character, alone and among plain ones", () => {
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `req-${ch}-1`]) assert.equal(stringText(s), JSON.stringify(s));
    }
  });

  it("gives JSON.stringify's text beyond ASCII, lone surrogates included", () => {
    for (const s of ["", "virginica", "é", "日本", "\u007f", "\u2028", "\ud83d\ude00", "\ud800", "a\udc00b"])
      assert.equal(stringText(s), JSON.stringify(s));
  });
});
