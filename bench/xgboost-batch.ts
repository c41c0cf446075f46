/**
 * @module `npm run bench:xgboost`: in-process batch throughput of the XGBoost runtime against
 * XGBoost's own `Booster.predict` (one thread) on the same 100-tree model and 100 000 rows, plus
 * single-row latency. Each call gets its own table object: a runtime answers a second call with the
 * same table from the first one's result (labels then probabilities of one request), which would time a
 * lookup. The Python side runs when `python3` with XGBoost is available (Debian's
 * python3-xgboost); bounded to a few passes.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const dir = mkdtempSync(join(tmpdir(), "modelserve-xgb-bench-"));
const script = fileURLToPath(new URL("../scripts/bench/xgboost_predict.py", import.meta.url));
let py: {
  model: string;
  rows: string;
  rows_per_s: number;
  nan_rows: string;
  nan_rows_per_s: number;
  single_row_us: number;
  xgboost: string;
};
try {
  py = JSON.parse(
    execFileSync(process.env.BENCH_PYTHON ?? "/usr/bin/python3", [script, dir], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1)!,
  );
} catch (err) {
  process.stderr.write(
    `the XGBoost baseline needs python3 with xgboost and scikit-learn: ${(err as Error).message}\n`,
  );
  process.exit(2);
}
const m = await loadModel(py.model);
const rows = JSON.parse(readFileSync(py.rows, "utf8")) as number[][];
const table = tableFromRows(m.signature, rows);
/** Rows per second of `t`: warm until the walk is compiled, then the best of ten passes (the Python side takes its best of three). */
async function rowsPerSecond(t: typeof table): Promise<number> {
  for (let i = 0; i < 3; i++) await m.predictProba!({ ...t });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    await m.predictProba!({ ...t });
    best = Math.min(best, performance.now() - started);
  }
  return t.rows / (best / 1000);
}
const ours = await rowsPerSecond(table);
// The same rows with 5 % of the values missing (the eight-row walk with default directions).
const oursNan = await rowsPerSecond(
  tableFromRows(m.signature, JSON.parse(readFileSync(py.nan_rows, "utf8")) as (number | null)[][]),
);
const one = tableFromRows(m.signature, [rows[0]]);
const t = performance.now();
for (let i = 0; i < 2000; i++) await m.predictProba!({ ...one });
const single = ((performance.now() - t) / 2000) * 1000;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  [
    `XGBoost 100 trees × depth 4, ${rows.length} rows, one thread; Node ${process.versions.node}, XGBoost ${py.xgboost}`,
    `modelserve  ${ours.toFixed(0).padStart(10)} rows/s   single row ${single.toFixed(1)} µs`,
    `xgboost     ${py.rows_per_s.toFixed(0).padStart(10)} rows/s   single row ${py.single_row_us.toFixed(1)} µs`,
    `throughput ratio modelserve / xgboost: ${(ours / py.rows_per_s).toFixed(2)}`,
    `with 5 % missing values: modelserve ${oursNan.toFixed(0)} rows/s, xgboost ${py.nan_rows_per_s.toFixed(0)} rows/s, ratio ${(oursNan / py.nan_rows_per_s).toFixed(2)}`,
    "",
  ].join("\n"),
);
