/**
 * @module `npm run bench:sklearn`: in-process `predictProba` throughput of the scikit-learn runtime on a
 * 100-tree RandomForestClassifier (iris) over 100 000 rows, and single-row latency, against
 * scikit-learn's own `predict_proba` with one thread on the same file and rows. The Python side runs
 * with `BENCH_PYTHON` (default Debian's `/usr/bin/python3`, scikit-learn 1.2.1); bounded to a few passes.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const dir = mkdtempSync(join(tmpdir(), "modelserve-rf-bench-"));
const script = fileURLToPath(new URL("../scripts/bench/sklearn_forest.py", import.meta.url));
let py: { model: string; rows: string; rows_per_s: number; single_row_us: number; sklearn: string };
try {
  py = JSON.parse(
    execFileSync(process.env.BENCH_PYTHON ?? "/usr/bin/python3", [script, dir], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1)!,
  );
} catch (err) {
  process.stderr.write(
    `the scikit-learn baseline needs python3 with scikit-learn: ${(err as Error).message}\n`,
  );
  process.exit(2);
}
const m = await loadModel(py.model);
const rows = JSON.parse(readFileSync(py.rows, "utf8")) as number[][];
// Two tables of the same rows taken in turn: the runtime remembers the last table's answer (labels
// and probabilities of one request), which must not turn this into a cache benchmark.
const tables = [tableFromRows(m.signature, rows), tableFromRows(m.signature, rows)];
await m.predictProba!(tables[1]);
let best = Number.POSITIVE_INFINITY;
for (let i = 0; i < 4; i++) {
  const t = performance.now();
  await m.predictProba!(tables[i % 2]);
  best = Math.min(best, performance.now() - t);
}
const ours = rows.length / (best / 1000);
const ones = [tableFromRows(m.signature, [rows[0]]), tableFromRows(m.signature, [rows[1]])];
for (let i = 0; i < 2000; i++) await m.predictProba!(ones[i % 2]);
const t = performance.now();
for (let i = 0; i < 20000; i++) await m.predictProba!(ones[i % 2]);
const single = ((performance.now() - t) / 20000) * 1000;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  [
    `RandomForestClassifier, 100 trees, iris, ${rows.length} rows, one thread; Node ${process.versions.node}, scikit-learn ${py.sklearn}`,
    `modelserve    ${ours.toFixed(0).padStart(10)} rows/s   single row ${single.toFixed(1)} µs`,
    `scikit-learn  ${py.rows_per_s.toFixed(0).padStart(10)} rows/s   single row ${py.single_row_us.toFixed(1)} µs`,
    `throughput ratio modelserve / scikit-learn: ${(ours / py.rows_per_s).toFixed(2)}; single-row speed-up ${(py.single_row_us / single).toFixed(0)}×`,
    "",
  ].join("\n"),
);
