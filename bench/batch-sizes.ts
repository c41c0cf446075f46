/**
 * @module `npm run bench:batch-sizes`: what a row costs a tree model at batch sizes around multiples of
 * eight (the lock-step walks take eight rows at a time), in process, one thread: the iris
 * RandomForest-100 and breast-cancer RandomForest-300 (`scripts/bench/train_http_models.py`, Debian's
 * scikit-learn), the iris XGBoost classifier (its JSON) and a LightGBM binary classifier (a committed
 * fixture). Each batch size walks the same 1 000 rows cut into batches of that size; BENCH_ROUNDS
 * rounds (default 40). With `BENCH_COMPARE=/path/to/another/checkout` (built) both trees run in one
 * process, alternating within each round, and each round's ratio is reported (median [quartiles]):
 * paired rounds cancel the drift of a shared machine. Runs in a plain JavaScript child
 * (lib/batch-sizes-child.mjs) that imports each tree's build.
 */

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { ensurePeers, median, ROOT, trainModels } from "./lib/peers.ts";
import { pinLoadGenerator } from "./lib/pin.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const compare = process.env.BENCH_COMPARE;
const sizes = process.env.BENCH_SIZES ?? "24,31,32,39,63,64";
const { last } = pinLoadGenerator(import.meta.url);

ensurePeers();
const models = trainModels("modelserve-bench-batch-sizes-");
const lgbDir = join(ROOT, "test/fixtures/lightgbm/breast_cancer_binary");
const lgbRows: unknown[] = JSON.parse(readFileSync(join(lgbDir, "inputs.json"), "utf8"));
const lgbFile = join(models, "lgb_rows.json");
writeFileSync(lgbFile, JSON.stringify(Array.from({ length: 1000 }, (_, i) => lgbRows[i % lgbRows.length])));
const rowsOf = (file: string) => {
  const out = join(models, `${file}.rows.json`);
  writeFileSync(out, JSON.stringify(JSON.parse(readFileSync(join(models, file), "utf8")).instances));
  return out;
};
const cases = [
  {
    name: "iris RandomForest-100",
    model: join(models, "iris_rf100.joblib"),
    rows: rowsOf("iris_batch1000.json"),
  },
  {
    name: "breast-cancer RandomForest-300",
    model: join(models, "bc_rf300.joblib"),
    rows: rowsOf("bc_batch1000.json"),
  },
  { name: "iris XGBoost (JSON)", model: join(models, "iris_xgb.json"), rows: rowsOf("iris_batch1000.json") },
  { name: "LightGBM binary (breast cancer)", model: join(lgbDir, "model.txt"), rows: lgbFile },
];

const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!;
process.stdout.write(
  `bench:batch-sizes — ${new Date().toISOString()}, Node ${process.versions.node}, ${rounds} rounds, on CPU ${last}, load average ${loadavg()[0].toFixed(2)}${compare ? `, this tree against ${compare}` : ""}\n`,
);
for (const c of cases) {
  const out = execFileSync(
    "taskset",
    [
      "-c",
      String(last),
      process.execPath,
      join(ROOT, "bench/lib/batch-sizes-child.mjs"),
      c.model,
      c.rows,
      sizes,
      String(rounds),
      ...(compare ? [compare, ROOT] : [ROOT]),
    ],
    { encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
  );
  process.stdout.write(`\n## ${c.name}\n\n`);
  process.stdout.write(
    compare
      ? "| rows | µs per row, BENCH_COMPARE | µs per row, this tree | this tree / BENCH_COMPARE, paired rounds |\n| --- | --- | --- | --- |\n"
      : "| rows | µs per row |\n| --- | --- |\n",
  );
  for (const line of out.trim().split("\n")) {
    const { rows, us } = JSON.parse(line) as { rows: number; us: number[][] };
    if (!compare) {
      process.stdout.write(
        `| ${rows} | ${median(us[0]!).toFixed(2)} [${Math.min(...us[0]!).toFixed(2)}–${Math.max(...us[0]!).toFixed(2)}] |\n`,
      );
      continue;
    }
    const ratios = us[1]!.map((v, i) => v / us[0]![i]!);
    process.stdout.write(
      `| ${rows} | ${median(us[0]!).toFixed(2)} | ${median(us[1]!).toFixed(2)} | ${median(ratios).toFixed(3)} [${q(ratios, 0.25).toFixed(3)}–${q(ratios, 0.75).toFixed(3)}] |\n`,
    );
  }
}
process.stdout.write(`\nload average at end ${loadavg()[0].toFixed(2)}\n`);
