/**
 * @module `npm run bench:explain`: TreeSHAP explanations of modelserve against the libraries, one
 * thread, in the same run with alternating rounds: a 100-tree iris RandomForestClassifier against
 * `shap.TreeExplainer` (C++ extension) and a 300-tree depth-8 XGBoost regressor against
 * `pred_contribs=True`, each on 10 000 rows (batch) and row by row (single-row latency, table building
 * included on our side as DMatrix building is on XGBoost's). This process runs on CPU 0, Python on CPU
 * 1 (`taskset`, when present). Python interpreters: `BENCH_SHAP_PYTHON` (shap + scikit-learn, default
 * `python3`) and `BENCH_XGBOOST_PYTHON` (XGBoost, default Debian's `/usr/bin/python3`). Prints median
 * [min–max] of each side and the ratio.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import type { LoadedModel } from "../src/runtimes/runtime.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SINGLE = Number(process.env.BENCH_SINGLE_ROWS ?? 300);
/** Rows of the batch (10 000 by default; the XGBoost case is minutes per round on a busy machine). */
const ROWS = Number(process.env.BENCH_ROWS ?? 10000);
const script = fileURLToPath(new URL("../scripts/bench/explain_reference.py", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "modelserve-explain-bench-"));
const shapPython = process.env.BENCH_SHAP_PYTHON ?? "python3";
const xgbPython = process.env.BENCH_XGBOOST_PYTHON ?? "/usr/bin/python3";
const taskset = existsSync("/usr/bin/taskset");

/** Runs the reference script, on CPU 1 when taskset exists. */
function python(exe: string, ...args: string[]): string {
  const [cmd, argv] = taskset
    ? ["/usr/bin/taskset", ["-c", "1", exe, script, ...args]]
    : [exe, [script, ...args]];
  return execFileSync(cmd, argv, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
}

if (taskset) execFileSync("/usr/bin/taskset", ["-cp", "0", String(process.pid)], { stdio: "ignore" });

interface Case {
  readonly title: string;
  readonly exe: string;
  readonly kind: "forest" | "xgboost";
  readonly file: string;
}
const cases: Case[] = [
  { title: "RandomForestClassifier 100 trees, iris", exe: shapPython, kind: "forest", file: "forest.joblib" },
  { title: "XGBoost 300 trees, depth 8, 20 features", exe: xgbPython, kind: "xgboost", file: "xgboost.json" },
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (a: number[], digits: number) =>
  `${median(a).toFixed(digits)} [${Math.min(...a).toFixed(digits)}–${Math.max(...a).toFixed(digits)}]`;

async function ours(m: LoadedModel, rows: unknown[][]): Promise<{ batch_s: number; single_us: number }> {
  const table = tableFromRows(m.signature, rows);
  let t = performance.now();
  await m.explain!(table);
  const batch = (performance.now() - t) / 1000;
  const n = Math.min(SINGLE, rows.length);
  t = performance.now();
  for (let i = 0; i < n; i++) await m.explain!(tableFromRows(m.signature, [rows[i]]));
  return { batch_s: batch, single_us: ((performance.now() - t) / n) * 1000 };
}

try {
  const out: string[] = [`TreeSHAP, one thread, ${ROUNDS} alternating rounds; Node ${process.versions.node}`];
  for (const c of cases) {
    python(c.exe, `prepare-${c.kind}`, dir);
    const m = await loadModel(join(dir, c.file));
    const rows = (JSON.parse(readFileSync(join(dir, `${c.kind}-rows.json`), "utf8")) as unknown[][]).slice(
      0,
      ROWS,
    );
    await ours(m, rows.slice(0, 20)); // warm-up
    const mine = { batch: [] as number[], single: [] as number[] };
    const lib = { batch: [] as number[], single: [] as number[] };
    let library = "";
    for (let r = 0; r < ROUNDS; r++) {
      const p = JSON.parse(
        python(c.exe, `time-${c.kind}`, dir, String(SINGLE), String(rows.length)).trim().split("\n").at(-1)!,
      );
      library = p.library;
      lib.batch.push(rows.length / p.batch_s);
      lib.single.push(p.single_us);
      const o = await ours(m, rows);
      mine.batch.push(rows.length / o.batch_s);
      mine.single.push(o.single_us);
    }
    const ratio = mine.batch.map((v, i) => v / lib.batch[i]);
    const single = lib.single.map((v, i) => v / mine.single[i]);
    const lines = [
      `${c.title}, ${rows.length} rows, against ${library}`,
      `  modelserve  ${fmt(mine.batch, 0)} rows/s   single row ${fmt(mine.single, 1)} µs`,
      `  ${library.split(" ")[0].padEnd(10)}  ${fmt(lib.batch, 0)} rows/s   single row ${fmt(lib.single, 1)} µs`,
      `  batch throughput ratio modelserve / ${library.split(" ")[0]}: ${fmt(ratio, 2)}; single-row speed-up ${fmt(single, 1)}×`,
    ];
    // Each case as soon as it is measured (the big ensemble takes minutes).
    process.stdout.write(`${[...out.splice(0), ...lines].join("\n")}\n`);
  }
} catch (err) {
  process.stderr.write(
    `the reference needs ${shapPython} with shap and scikit-learn, ${xgbPython} with xgboost: ${(err as Error).message}\n`,
  );
  process.exitCode = 2;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
