/**
 * @module `npm run bench:lightgbm`: in-process batch throughput of the LightGBM runtime against
 * LightGBM's own `Booster.predict` (one thread) on the same 100-tree model (numeric splits with missing
 * values, one categorical feature) and 100 000 rows, in alternating rounds (BENCH_ROUNDS, default 3), plus
 * single-row latency. Each call gets its own table object: a runtime answers a second call with the
 * same table from the first one's result (labels then probabilities of one request), which would time a
 * lookup. The Python side needs `python3` with lightgbm, numpy and scikit-learn
 * (BENCH_PYTHON names it; pip's lightgbm wheel in a virtual environment). Our probabilities are checked
 * against LightGBM's on 1000 rows before anything is timed.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const python = process.env.BENCH_PYTHON ?? "python3";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "modelserve-lgb-bench-"));
const script = fileURLToPath(new URL("../scripts/bench/lightgbm_predict.py", import.meta.url));
const runPython = (mode: "train" | "time") =>
  JSON.parse(execFileSync(python, [script, mode, dir], { encoding: "utf8" }).trim().split("\n").at(-1)!);

let trained: { model: string; rows: string; lightgbm: string };
try {
  trained = runPython("train");
} catch (err) {
  process.stderr.write(`the LightGBM baseline needs ${python} with lightgbm: ${(err as Error).message}\n`);
  process.exit(2);
}
const m = await loadModel(trained.model);
const rows = JSON.parse(readFileSync(trained.rows, "utf8")) as (number | null)[][];
const table = tableFromRows(m.signature, rows);

// Same answers first: probabilities of the positive class, bit for bit.
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as number[];
const check = await m.predictProba!(tableFromRows(m.signature, rows.slice(0, expected.length)));
for (let r = 0; r < expected.length; r++) {
  const got = check.data[r * check.cols + check.cols - 1];
  if (got !== expected[r]) throw new Error(`row ${r}: modelserve ${got}, LightGBM ${expected[r]}`);
}

const ours: number[] = [];
const theirs: number[] = [];
let single = { ours: 0, theirs: 0 };
for (let round = 0; round < rounds; round++) {
  await m.predictProba!({ ...table });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await m.predictProba!({ ...table });
    best = Math.min(best, performance.now() - t);
  }
  ours.push(rows.length / (best / 1000));
  const py = runPython("time") as { rows_per_s: number; single_row_us: number };
  theirs.push(py.rows_per_s);
  const one = tableFromRows(m.signature, [rows[0]]);
  const t = performance.now();
  for (let i = 0; i < 2000; i++) await m.predictProba!({ ...one });
  single = { ours: ((performance.now() - t) / 2000) * 1000, theirs: py.single_row_us };
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(0).padStart(9)} rows/s [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;
const ratios = ours.map((o, i) => o / theirs[i]);
process.stdout.write(
  [
    `LightGBM 100 trees × 31 leaves (missing values, one categorical feature), ${rows.length} rows, one thread, ${rounds} alternating rounds; Node ${process.versions.node}, LightGBM ${trained.lightgbm}; probabilities identical on ${expected.length} rows`,
    `modelserve ${fmt(ours)}   single row ${single.ours.toFixed(1)} µs`,
    `lightgbm   ${fmt(theirs)}   single row ${single.theirs.toFixed(1)} µs`,
    `throughput ratio modelserve / lightgbm, per round: ${ratios.map((r) => r.toFixed(2)).join(", ")}; median ${median(ratios).toFixed(2)}`,
    "",
  ].join("\n"),
);
