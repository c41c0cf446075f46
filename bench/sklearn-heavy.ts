/**
 * @module `npm run bench:heavy`: in-process `predict` of the scikit-learn runtime on the models whose
 * cost is dot products — a brute-force KNeighborsClassifier (11 000 training points, 30 features), an
 * RBF SVC and a 256×256 MLPClassifier — against scikit-learn's own `predict` on one thread (threadpoolctl), same files and rows,
 * in alternating rounds (BENCH_ROUNDS, default 3): 1000-row batches (best of three calls each side)
 * and single rows (mean of 100 calls). The models are trained by `scripts/bench/sklearn_heavy.py` with
 * `BENCH_PYTHON` (default Debian's `/usr/bin/python3`, scikit-learn 1.2.1).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fusedMultiplyAdd } from "../src/runtimes/common/wasm-fma.ts";
import { loadModel } from "../src/runtimes/load-model.ts";
import type { FeatureTable } from "../src/runtimes/runtime.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const python = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "modelserve-heavy-bench-"));
process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../scripts/bench/sklearn_heavy.py", import.meta.url));
const runPython = (mode: "train" | "time") =>
  JSON.parse(execFileSync(python, [script, mode, dir], { encoding: "utf8" }).trim().split("\n").at(-1)!);

let trained: {
  rows: string;
  knn: string;
  svc: string;
  mlp: string;
  sklearn: string;
  support_vectors: number;
};
try {
  trained = runPython("train");
} catch (err) {
  process.stderr.write(`the baseline needs python3 with scikit-learn: ${(err as Error).message}\n`);
  process.exit(2);
}
const rows = JSON.parse(readFileSync(trained.rows, "utf8")) as number[][];
const names = ["knn", "svc", "mlp"] as const;
const models = {
  knn: await loadModel(trained.knn),
  svc: await loadModel(trained.svc),
  mlp: await loadModel(trained.mlp),
};
const labels = { knn: "KNN (k=5, brute, 11 000 × 30)", svc: "", mlp: "MLP (30 → 256 → 256 → 1)" };

/** Each call gets its own table object: a runtime answers a repeated table from its last answer. */
async function timeCall(name: (typeof names)[number], t: FeatureTable): Promise<number> {
  const started = performance.now();
  await models[name].predict({ ...t });
  return performance.now() - started;
}

const ours: Record<string, { batch: number[]; single: number[] }> = {};
const theirs: Record<string, { batch: number[]; single: number[] }> = {};
for (const name of names) {
  ours[name] = { batch: [], single: [] };
  theirs[name] = { batch: [], single: [] };
}
for (let round = 0; round < rounds; round++) {
  const py = runPython("time") as Record<string, { batch_ms: number; single_us: number }>;
  for (const name of names) {
    theirs[name].batch.push(py[name].batch_ms);
    theirs[name].single.push(py[name].single_us);
    const table = tableFromRows(models[name].signature, rows);
    await timeCall(name, table);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) best = Math.min(best, await timeCall(name, table));
    ours[name].batch.push(best);
    const ones = rows.slice(0, 100).map((r) => tableFromRows(models[name].signature, [r]));
    await timeCall(name, ones[0]);
    let total = 0;
    for (const one of ones) total += await timeCall(name, one);
    ours[name].single.push((total / ones.length) * 1000);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `scikit-learn heavy models, ${rows.length} rows, one thread, ${rounds} alternating rounds; Node ${process.versions.node}, scikit-learn ${trained.sklearn}; fused WebAssembly multiply-add: ${fusedMultiplyAdd()}`,
];
for (const name of names) {
  const label = name === "svc" ? `RBF SVC (${trained.support_vectors} support vectors)` : labels[name];
  const batchRatios = ours[name].batch.map((o, r) => theirs[name].batch[r] / o);
  const singleRatios = ours[name].single.map((o, r) => theirs[name].single[r] / o);
  lines.push(
    `${label}: 1000 rows modelserve ${median(ours[name].batch).toFixed(1)} ms, scikit-learn ${median(theirs[name].batch).toFixed(1)} ms (speed ratio per round ${batchRatios.map((r) => r.toFixed(2)).join(", ")}); single row modelserve ${median(ours[name].single).toFixed(0)} µs, scikit-learn ${median(theirs[name].single).toFixed(0)} µs (ratio ${singleRatios.map((r) => r.toFixed(2)).join(", ")})`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
