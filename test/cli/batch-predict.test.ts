import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tableFromIPC, tableFromJSON, tableToIPC } from "apache-arrow";
import { parse as parseCsv } from "csv-parse/sync";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import heuristic from "../../examples/iris/heuristic.ts";
import { tempDir } from "../temp-dir.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const model = join(root, "examples/iris/heuristic.ts");
const dir = tempDir("batch");
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

/** Deterministic iris-like rows (a linear congruential sequence, no Math.random). */
function rows(n: number): Record<(typeof FEATURES)[number], number>[] {
  let s = 12345;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, () => ({
    sepal_length: Math.round((4 + next() * 4) * 10) / 10,
    sepal_width: Math.round((2 + next() * 2.5) * 10) / 10,
    petal_length: Math.round((1 + next() * 6) * 10) / 10,
    petal_width: Math.round((0.1 + next() * 2.4) * 10) / 10,
  }));
}

describe("modelserve predict: offline scoring that never loses a row", { concurrency: true }, () => {
  it("100 000 CSV rows with 1 % bad ones: 99 000 scored, 1 000 reported with line and code", async () => {
    const data = rows(100_000);
    const lines = ["customer_id,region,sepal_length,sepal_width,petal_length,petal_width"];
    data.forEach((r, i) => {
      const bad = i % 100 === 42;
      lines.push(
        `c${i},r${i % 7},${r.sepal_length},${bad ? "oops" : r.sepal_width},${r.petal_length},${r.petal_width}`,
      );
    });
    writeFileSync(join(dir, "big.csv"), `${lines.join("\n")}\n`);
    const r = await cli([
      "predict",
      model,
      "-i",
      "big.csv",
      "-o",
      "scored.csv",
      "--id-column",
      "customer_id",
      "--keep-columns",
      "region",
      "--proba",
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /99,000 of 100,000 rows scored, 1,000 rejected \(see scored\.csv\.errors\.jsonl\)/,
    );

    const out = parseCsv(readFileSync(join(dir, "scored.csv"), "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    assert.equal(out.length, 99_000);
    assert.deepEqual(Object.keys(out[0]), [
      "customer_id",
      "region",
      "prediction",
      "proba_setosa",
      "proba_versicolor",
      "proba_virginica",
    ]);
    const good = data.map((row, i) => ({ row, i })).filter(({ i }) => i % 100 !== 42);
    const expected = heuristic.predict(good.map((g) => g.row)) as string[];
    const expectedProba = heuristic.predictProba!(good.map((g) => g.row)) as number[][];
    for (let k = 0; k < out.length; k++) {
      assert.equal(out[k].customer_id, `c${good[k].i}`);
      assert.equal(out[k].region, `r${good[k].i % 7}`);
      assert.equal(out[k].prediction, expected[k]);
      assert.equal(Number(out[k].proba_virginica), expectedProba[k][2]);
    }

    const errors = readFileSync(join(dir, "scored.csv.errors.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(errors.length, 1_000);
    errors.forEach((e, k) => {
      const i = k * 100 + 42;
      assert.deepEqual(
        { row: e.row, line: e.line, id: e.id, code: e.code, issue: e.issue, field: e.field },
        {
          row: i + 1,
          line: i + 2,
          id: `c${i}`,
          code: "MS_INVALID_INPUT",
          issue: "WRONG_TYPE",
          field: "sepal_width",
        },
      );
    });
  });

  it("reads stdin and writes stdout", async () => {
    const data = rows(50);
    const csv = `${FEATURES.join(",")}\n${data.map((r) => FEATURES.map((f) => r[f]).join(",")).join("\n")}\n`;
    const r = await cli(["predict", model, "-i", "-", "-o", "-", "--output-format", "jsonl"], csv);
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).prediction);
    assert.deepEqual(got, heuristic.predict(data));
    assert.match(r.stderr, /50 of 50 rows scored, 0 rejected/);
  });

  it("--on-error fail stops at the first bad row with its line; skip drops it", async () => {
    writeFileSync(
      join(dir, "two.jsonl"),
      '{"sepal_length": 5, "sepal_width": 3, "petal_length": 1, "petal_width": 0.2}\n{"bad json\n',
    );
    const fail = await cli(["predict", model, "-i", "two.jsonl", "-o", "x.json", "--on-error", "fail"]);
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /^modelserve: .*line 2: not valid JSON.*\[MS_INVALID_INPUT_FILE\]\n$/);
    const skip = await cli(["predict", model, "-i", "two.jsonl", "-o", "y.json", "--on-error", "skip"]);
    assert.equal(skip.code, 3, skip.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "y.json"), "utf8")).predictions, ["setosa"]);
    assert.match(skip.stderr, /1 of 2 rows scored, 1 rejected \(skipped\)/);
  });

  it("round-trips Parquet: Parquet in, Parquet out, with pass-through columns", async () => {
    const data = rows(1_000);
    const ids = data.map((_, i) => `id-${i}`);
    const input = parquetWriteBuffer({
      columnData: [
        { name: "id", data: ids, type: "STRING" },
        ...FEATURES.map((f) => ({ name: f, data: data.map((r) => r[f]), type: "DOUBLE" as const })),
      ],
    });
    writeFileSync(join(dir, "in.parquet"), new Uint8Array(input));
    const r = await cli([
      "predict",
      model,
      "-i",
      "in.parquet",
      "-o",
      "out.parquet",
      "--id-column",
      "id",
      "--proba",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const buf = readFileSync(join(dir, "out.parquet"));
    const out = await parquetReadObjects({
      file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
    });
    assert.deepEqual(
      out.map((o) => o.id),
      ids,
    );
    assert.deepEqual(
      out.map((o) => o.prediction),
      heuristic.predict(data),
    );
    assert.deepEqual(
      out.map((o) => [o.proba_setosa, o.proba_versicolor, o.proba_virginica]),
      heuristic.predictProba!(data),
    );
  });

  it("round-trips Arrow IPC", async () => {
    const data = rows(200);
    writeFileSync(join(dir, "in.arrow"), tableToIPC(tableFromJSON(data), "file"));
    const r = await cli([
      "predict",
      model,
      "-i",
      "in.arrow",
      "-o",
      "out.arrow",
      "--keep-columns",
      "petal_length",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const t = tableFromIPC(readFileSync(join(dir, "out.arrow")));
    const got = t.toArray().map((row) => row.toJSON());
    assert.deepEqual(
      got.map((o) => o.prediction),
      heuristic.predict(data),
    );
    assert.deepEqual(
      got.map((o) => o.petal_length),
      data.map((d) => d.petal_length),
    );
  });
});
