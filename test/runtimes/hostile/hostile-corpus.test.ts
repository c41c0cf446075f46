/**
 * The hostile-structure corpus (scripts/fixtures/hostile/): real fitted models edited as an attacker
 * would, and compression bombs. Every file must be refused at load with its expected code and a
 * message naming the problem, in under 20 s each, with the loading process under 1.5 GB at its peak.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = new URL("../../fixtures/hostile/", import.meta.url);
const child = fileURLToPath(new URL("./load-corpus.ts", import.meta.url));

interface Expected {
  readonly code: string;
  readonly fragment: string;
}

for (const corpus of ["sklearn-1.2.1", "sklearn-1.9.1", "bombs", "xgboost", "lightgbm", "onnx"]) {
  describe(`hostile corpus ${corpus}`, () => {
    const dir = fileURLToPath(new URL(`${corpus}/`, root));
    const expected = JSON.parse(readFileSync(`${dir}expected.json`, "utf8")) as Record<string, Expected>;

    it("refuses every file with its code and a message naming the problem, fast and within memory", async () => {
      const { stdout } = await run(process.execPath, [child, dir], {
        timeout: 10 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const lines = stdout
        .trim()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as {
              file?: string;
              ms?: number;
              code?: string;
              message?: string;
              maxRssMb?: number;
            },
        );
      const results = lines.filter((l) => l.file !== undefined);
      assert.deepEqual(
        results.map((r) => r.file).sort(),
        Object.keys(expected).sort(),
        "every file of the corpus was tried",
      );
      for (const r of results) {
        const e = expected[r.file!];
        assert.equal(r.code, e.code, `${r.file}: ${r.message}`);
        assert.ok(r.message!.includes(e.fragment), `${r.file}: "${r.message}" names ${e.fragment}`);
        assert.ok(!/Maximum call stack|heap out of memory/i.test(r.message!), `${r.file}: ${r.message}`);
        assert.ok(r.ms! < 20_000, `${r.file} refused in ${Math.round(r.ms!)} ms`);
      }
      const peak = lines.find((l) => l.maxRssMb !== undefined)!.maxRssMb!;
      assert.ok(peak < 1536, `peak RSS ${Math.round(peak)} MB while loading the corpus`);
    });
  });
}
