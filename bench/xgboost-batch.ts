/**
 * @module `npm run bench:xgboost`: in-process batch throughput of the XGBoost runtime against XGBoost's
 * own prediction (one thread) on the same 100-tree model and 100 000 rows — numeric splits; the same
 * rows with 5 % of the values missing; a model where some trees split on categorical features — in
 * alternating rounds (BENCH_ROUNDS, default 3: XGBoost's pass, then ours), plus single-row latency.
 * Each call gets its own table object: a runtime answers a second call with the same table from the
 * first one's result (labels then probabilities of one request), which would time a lookup. The Python
 * side needs `python3` with XGBoost and scikit-learn (Debian's python3-xgboost; BENCH_PYTHON names
 * another).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import type { FeatureTable, LoadedModel } from "../src/runtimes/runtime.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const python = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "modelserve-xgb-bench-"));
const script = fileURLToPath(new URL("../scripts/bench/xgboost_predict.py", import.meta.url));
const runPython = (mode: "train" | "time") =>
  JSON.parse(execFileSync(python, [script, mode, dir], { encoding: "utf8" }).trim().split("\n").at(-1)!);

let trained: {
  model: string;
  rows: string;
  nan_rows: string;
  cat_model: string;
  cat_rows: string;
  cat_trees: number;
  xgboost: string;
};
try {
  trained = runPython("train");
} catch (err) {
  process.stderr.write(
    `the XGBoost baseline needs python3 with xgboost and scikit-learn: ${(err as Error).message}\n`,
  );
  process.exit(2);
}
const m = await loadModel(trained.model);
const cat = await loadModel(trained.cat_model);
const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as (number | null)[][];
const rows = read(trained.rows);
const cases: { name: string; model: LoadedModel; table: FeatureTable; key: string }[] = [
  { name: "numeric splits", model: m, table: tableFromRows(m.signature, rows), key: "rows_per_s" },
  {
    name: "5 % missing values",
    model: m,
    table: tableFromRows(m.signature, read(trained.nan_rows)),
    key: "nan_rows_per_s",
  },
  {
    name: `categorical splits in ${trained.cat_trees} of 100 trees`,
    model: cat,
    table: tableFromRows(cat.signature, read(trained.cat_rows)),
    key: "cat_rows_per_s",
  },
];

/** Rows per second of a case: warm until the walk is compiled, then the best of ten passes. */
async function rowsPerSecond(model: LoadedModel, t: FeatureTable): Promise<number> {
  for (let i = 0; i < 3; i++) await model.predictProba!({ ...t });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    await model.predictProba!({ ...t });
    best = Math.min(best, performance.now() - started);
  }
  return t.rows / (best / 1000);
}

const ours: number[][] = cases.map(() => []);
const theirs: number[][] = cases.map(() => []);
let theirSingle = 0;
for (let round = 0; round < rounds; round++) {
  const py = runPython("time") as Record<string, number>;
  theirSingle = py.single_row_us;
  for (const [i, c] of cases.entries()) {
    theirs[i].push(py[c.key]);
    ours[i].push(await rowsPerSecond(c.model, c.table));
  }
}
const one = tableFromRows(m.signature, [rows[0]]);
const t = performance.now();
for (let i = 0; i < 2000; i++) await m.predictProba!({ ...one });
const single = ((performance.now() - t) / 2000) * 1000;
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `XGBoost 100 trees × depth 4, ${rows.length} rows, one thread, ${rounds} alternating rounds; Node ${process.versions.node}, XGBoost ${trained.xgboost}`,
  `single row: modelserve ${single.toFixed(1)} µs, xgboost ${theirSingle.toFixed(1)} µs`,
];
for (const [i, c] of cases.entries()) {
  const ratios = ours[i].map((o, r) => o / theirs[i][r]);
  lines.push(
    `${c.name}: modelserve ${median(ours[i]).toFixed(0)} rows/s, xgboost ${median(theirs[i]).toFixed(0)} rows/s; ratio per round ${ratios.map((r) => r.toFixed(2)).join(", ")}, median ${median(ratios).toFixed(2)}`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
