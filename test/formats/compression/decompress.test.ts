/**
 * @module Tests of the joblib container reader against bytes written by the real codecs (Python's
 * zlib, gzip, bz2 and lzma modules and the gzip, bzip2, xz and lz4 tools; see
 * `scripts/fixtures/compression/make_fixtures.py`): magic-number detection, exact decompressed bytes,
 * and clean `MS_*` errors for truncated or corrupt containers.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isModelServeError } from "../../../src/errors.ts";
import { decompress } from "../../../src/formats/compression/decompress.ts";
import { detectCompression } from "../../../src/formats/compression/detect.ts";

const dir = fileURLToPath(new URL("../../fixtures/compression/", import.meta.url));
const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));

interface Case {
  readonly file: string;
  readonly kind: string;
  readonly size: number;
  readonly sha256: string;
  readonly plain: string | null;
}
const expected: { payload: string; cases: Case[] } = JSON.parse(
  readFileSync(join(dir, "expected.json"), "utf8"),
);
const payload = read(expected.payload);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Asserts `decompress` refuses `bytes` with a ModelServeError naming the file, never another error. */
async function refuses(bytes: Uint8Array, code: string, file = "model.joblib") {
  await assert.rejects(decompress(bytes, file), (e: unknown) => {
    assert.ok(isModelServeError(e), `a ModelServeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.statusCode, 422);
    assert.ok(e.message.includes(file), e.message);
    return true;
  });
}

describe("decompress: containers written by the real codecs", () => {
  it("covers every codec joblib writes", () => {
    const kinds = new Set(expected.cases.map((c) => c.kind));
    assert.deepEqual([...kinds].sort(), ["bz2", "gzip", "lz4", "lzma", "xz", "zlib"]);
  });

  for (const c of expected.cases) {
    describe(c.file, () => {
      const bytes = read(c.file);

      it(`is detected as ${c.kind} by its magic number`, () => {
        assert.equal(detectCompression(bytes), c.kind);
      });

      it("decompresses to exactly the bytes the tool gives back", async () => {
        const out = await decompress(bytes, c.file);
        assert.equal(out.byteLength, c.size);
        assert.equal(sha256(out), c.sha256);
        if (c.plain) assert.deepEqual(Buffer.from(out), Buffer.from(read(c.plain)));
      });

      it("refuses a truncated copy with MS_INVALID_MODEL", async () => {
        // Cuts inside the compressed data (past the magic bytes, so the container kind is still seen)
        // and inside the trailer (checksum, end mark or size). 60% avoids the exact end of a gzip member.
        for (const cut of [Math.floor(bytes.byteLength * 0.6), bytes.byteLength - 1]) {
          await refuses(bytes.subarray(0, cut), "MS_INVALID_MODEL", c.file);
        }
      });
    });
  }

  it("reads two gzip members back to back as gzip -d does", async () => {
    const out = await decompress(read("cli-two-members.gz"), "two.gz");
    assert.deepEqual(Buffer.from(out), Buffer.concat([payload, payload]));
  });
});

describe("decompress: plain pickles and unknown containers", () => {
  it("hands a plain pickle stream back unchanged (protocols 2 to 5)", async () => {
    assert.equal(payload[0], 0x80, "the payload is a pickle stream");
    for (const proto of [2, 3, 4, 5]) {
      const b = Uint8Array.from([0x80, proto, ...payload.subarray(2)]);
      assert.equal(detectCompression(b), "none");
      assert.equal(await decompress(b, "m.pkl"), b);
    }
  });

  it("does not take protocol 0/1 or 6 markers for a pickle header", () => {
    assert.equal(detectCompression(Uint8Array.from([0x80, 1, 0])), undefined);
    assert.equal(detectCompression(Uint8Array.from([0x80, 6, 0])), undefined);
  });

  it("does not take 0x78 with an invalid zlib FLEVEL/FCHECK byte for zlib", () => {
    // RFC 1950: CMF*256 + FLG is a multiple of 31; 78 9d is not, so it is no zlib header.
    assert.notEqual((0x78 * 256 + 0x9d) % 31, 0);
    assert.equal(detectCompression(Uint8Array.from([0x78, 0x9d, 0, 0])), undefined);
  });

  it("refuses the pre-0.10 joblib ZF container with MS_UNSUPPORTED_MODEL", async () => {
    const zf = Uint8Array.from([0x5a, 0x46, 0x30, 0x78, 0x30, 0x30, 0x30]);
    assert.equal(detectCompression(zf), "joblib-zf");
    await assert.rejects(decompress(zf, "old.joblib"), (e: unknown) => {
      assert.ok(isModelServeError(e));
      assert.equal(e.code, "MS_UNSUPPORTED_MODEL");
      assert.match(e.message, /old\.joblib.*'ZF' container/);
      return true;
    });
  });

  it("refuses unknown magic bytes and empty input with MS_INVALID_MODEL", async () => {
    await refuses(new TextEncoder().encode("PK\u0003\u0004 a zip file"), "MS_INVALID_MODEL");
    await refuses(new Uint8Array(0), "MS_INVALID_MODEL");
  });

  it("refuses a container whose body is garbage after a valid magic number", async () => {
    const junk = new Uint8Array(64).map((_, i) => (i * 53 + 7) & 0xff);
    for (const c of expected.cases) {
      const magic = read(c.file).subarray(0, 6);
      const bad = new Uint8Array(magic.length + junk.length);
      bad.set(magic);
      bad.set(junk, magic.length);
      assert.equal(detectCompression(bad), c.kind);
      await refuses(bad, "MS_INVALID_MODEL", c.file);
    }
  });
});

describe("decompress: forged LZ4 frames", () => {
  const frame = read("cli-content-size.lz4");
  // LZ4 frame format: magic (4), FLG, BD, content size (8, little-endian) when FLG bit 3 is set, HC.
  assert.equal(frame[4] & 0x08, 0x08, "the fixture carries a content size");

  it("refuses a frame whose content size was changed (header checksum)", async () => {
    const forged = Uint8Array.from(frame);
    new DataView(forged.buffer).setBigUint64(6, 2n ** 40n, true);
    await refuses(forged, "MS_INVALID_MODEL");
  });

  it("refuses bytes after the end of the frame", async () => {
    await refuses(Uint8Array.from([...frame, 0, 0, 0, 0]), "MS_INVALID_MODEL");
  });

  it("refuses a frame with reserved bits or an unknown block size code", async () => {
    for (const [at, value] of [
      [4, frame[4] | 0x02],
      [5, (frame[5] & 0x8f) | (3 << 4)],
    ]) {
      const forged = Uint8Array.from(frame);
      forged[at] = value;
      await refuses(forged, "MS_INVALID_MODEL");
    }
  });
});
