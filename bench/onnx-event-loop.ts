/**
 * @module `npm run bench:onnx`: how long the event loop stalls while an ONNX batch runs, inline versus
 * in the worker thread. A 2 ms interval timer runs during each prediction; the longest gap between its
 * ticks is the stall other requests would see. Bounded: a few batches of BENCH_ROWS rows (default 100 000).
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/runtimes/load-model.ts";
import { columnsToRows } from "../src/schema/rows-file.ts";
import { tableFromRows } from "../src/schema/validator.ts";

const dir = fileURLToPath(
  new URL("../test/fixtures/onnx/skl2onnx/breast_cancer_gradient_boosting_nozipmap/", import.meta.url),
);
const rows = columnsToRows(JSON.parse(readFileSync(`${dir}inputs.json`, "utf8"))) as number[][];
const sizes = [10_000, Number(process.env.BENCH_ROWS ?? 100_000)];
process.stdout.write(`ONNX (skl2onnx GradientBoosting, 30 features), Node ${process.versions.node}\n`);
for (const n of sizes) {
  for (const inference of ["inline", "worker"]) {
    const m = await loadModel(`${dir}model.onnx`, { settings: { inference } });
    const table = tableFromRows(
      m.signature,
      Array.from({ length: n }, (_, i) => rows[i % rows.length]),
    );
    await m.predict(table);
    let worst = 0;
    let took = 0;
    for (let round = 0; round < 3; round++) {
      const ticks: number[] = [];
      const t0 = performance.now();
      const timer = setInterval(() => ticks.push(performance.now()), 2);
      await m.predict(table);
      took += performance.now() - t0;
      await new Promise((r) => setTimeout(r, 10));
      clearInterval(timer);
      const gaps = [ticks[0] - t0, ...ticks.slice(1).map((t, i) => t - ticks[i])];
      worst = Math.max(worst, ...gaps);
    }
    process.stdout.write(
      `${String(n).padStart(7)} rows  ${inference.padEnd(6)}  predict ${(took / 3).toFixed(1).padStart(6)} ms  longest event-loop stall ${worst.toFixed(1).padStart(6)} ms\n`,
    );
    await m.close?.();
  }
}
