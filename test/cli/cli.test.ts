import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import heuristic from "../../examples/iris/heuristic.ts";
import { tempDir } from "../temp-dir.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/modelserve.js");
const model = join(root, "examples/iris/heuristic.ts");
const dir = tempDir("cli");

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Bounded: a server that never exits fails the test instead of hanging it.
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
];
const named = rows.map(([sepal_length, sepal_width, petal_length, petal_width]) => ({
  sepal_length,
  sepal_width,
  petal_length,
  petal_width,
}));
const expected = heuristic.predict(named) as readonly string[];
const expectedProba = heuristic.predictProba!(named) as readonly (readonly number[])[];

describe("modelserve predict", () => {
  it("scores a JSON file of positional rows, with probabilities", async () => {
    const input = join(dir, "rows.json");
    const output = join(dir, "out.json");
    writeFileSync(input, JSON.stringify(rows));
    const r = await cli("predict", model, "--input", input, "--output", output, "--proba");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(readFileSync(output, "utf8"));
    assert.deepEqual(out.predictions, expected);
    assert.deepEqual(out.probabilities, expectedProba);
    assert.deepEqual(out.classes, ["setosa", "versicolor", "virginica"]);
  });

  it("scores a CSV file with a header into CSV and JSON Lines", async () => {
    const input = join(dir, "rows.csv");
    writeFileSync(
      input,
      `sepal_length,sepal_width,petal_length,petal_width\n${rows.map((r) => r.join(",")).join("\n")}\n`,
    );
    const csvOut = join(dir, "out.csv");
    assert.equal((await cli("predict", model, "-i", input, "-o", csvOut)).code, 0);
    assert.deepEqual(readFileSync(csvOut, "utf8").trim().split("\n"), [
      "prediction",
      ...expected.map(String),
    ]);
    const jsonl = join(dir, "out.jsonl");
    assert.equal((await cli("predict", model, "-i", input, "-o", jsonl, "--proba")).code, 0);
    const lines = readFileSync(jsonl, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines[2].prediction, expected[2]);
    assert.equal(lines[2].probabilities.virginica, expectedProba[2][2]);
  });

  it("applies the server's validation: --on-error fail exits 1 with one line, the default reports the row and exits 3", async () => {
    const input = join(dir, "bad.json");
    writeFileSync(input, JSON.stringify([{ sepal_length: "abc" }]));
    const r = await cli("predict", model, "--input", input, "--on-error", "fail");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^modelserve: row 1: .*\[MS_INVALID_INPUT\]\n$/);
    const reported = await cli("predict", model, "--input", input, "--output", join(dir, "bad.out.json"));
    assert.equal(reported.code, 3);
    assert.match(reported.stderr, /0 of 1 rows scored, 1 rejected \(see .*bad\.out\.json\.errors\.jsonl\)/);
    const error = JSON.parse(readFileSync(join(dir, "bad.out.json.errors.jsonl"), "utf8"));
    assert.equal(error.code, "MS_INVALID_INPUT");
    assert.equal(error.row, 1);
  });
});

describe("modelserve inspect and failures", () => {
  it("prints the signature as a table, and as JSON Schema with --json", async () => {
    const r = await cli("inspect", model);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /heuristic \(version 1\)/);
    assert.match(r.stdout, /petal_width\s+float\s+no/);
    assert.match(r.stdout, /classes: "setosa", "versicolor", "virginica"/);
    const j = JSON.parse((await cli("inspect", model, "--json")).stdout);
    assert.deepEqual(j.jsonSchema.required, ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
  });

  it("gives one clear line and a non-zero exit for a bad path or an unknown format", async () => {
    const missing = await cli("inspect", join(dir, "nope.joblib"));
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^modelserve: model file not found: .*nope\.joblib \[MS_MODEL_FILE_NOT_FOUND\]\n$/,
    );
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, "not a model");
    const unknown = await cli("serve", junk);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\[MS_UNKNOWN_FORMAT\]\n$/);
    assert.equal(unknown.stderr.trim().split("\n").length, 1);
  });

  it("exits with the error when a startup model fails to load after the server listened", async () => {
    // The format is recognised (a zlib joblib) before listening; the file ends early, which only the
    // load finds. Before, the server went on listening, never ready.
    const forest = readFileSync(join(root, "examples/iris/models/random_forest.joblib"));
    const truncated = join(dir, "truncated.joblib");
    writeFileSync(truncated, forest.subarray(0, 3000));
    const r = await cli("serve", truncated, "--port", "0", "--log-level", "warn");
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^modelserve: model "truncated" version "1" failed to load: .*unexpected end of file.*\[MS_MODEL_LOAD_FAILED\]\n$/m,
    );
  });

  it("refuses a model name the registry would refuse, before loading or listening", async () => {
    const r = await cli("serve", `bad name=${model}`, "--port", "0");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /model name "bad name": use 1-128 letters.*\[MS_INVALID_DEFINITION\]\n$/);
    assert.doesNotMatch(r.stderr, /listening on/);
  });

  it("refuses invalid configuration with exit code 2 before listening", async () => {
    const r = await cli("serve", model, "--port", "99999");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /port \(from command line\) must be between 0 and 65535/);
  });
});
