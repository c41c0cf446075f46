/**
 * Child of bench/batch-sizes.ts, plain JavaScript: it imports each tree's own build (`dist/`), so that
 * two checkouts run side by side in one process.
 * Usage: node batch-sizes-child.mjs MODEL ROWS_JSON SIZES ROUNDS ROOT [ROOT_B]
 * Prints one JSON line per batch size: µs per row of predictProba (or predict) per round and per root,
 * the roots alternating within each round.
 */
import { readFileSync } from "node:fs";

const [model, rowsFile, sizes, roundsArg, ...roots] = process.argv.slice(2);
const rounds = Number(roundsArg);
const all = JSON.parse(readFileSync(rowsFile, "utf8"));
const trees = [];
for (const root of roots) {
  const { loadModel } = await import(`${root}/dist/runtimes/load-model.js`);
  const { tableFromRows } = await import(`${root}/dist/schema/validator.js`);
  const m = await loadModel(model, { inline: true });
  trees.push({ m, tableFromRows, call: m.predictProba ?? m.predict });
}
for (const n of sizes.split(",").map(Number)) {
  const tables = trees.map(({ m, tableFromRows }) => {
    // At least two tables: a model remembers its last table's conversion, and a batch of all the rows
    // sent again and again would time that memory instead of the model.
    const out = [];
    while (out.length < 2)
      for (let s = 0; s + n <= all.length; s += n) out.push(tableFromRows(m.signature, all.slice(s, s + n)));
    return out;
  });
  const us = trees.map(() => []);
  // Four warm-up rounds, then the measured ones; the order of the roots turns each round.
  for (let round = 0; round < rounds + 4; round++) {
    for (let i = 0; i < trees.length; i++) {
      const j = round % 2 ? trees.length - 1 - i : i;
      const t0 = performance.now();
      for (const t of tables[j]) await trees[j].call(t);
      if (round >= 4) us[j].push(((performance.now() - t0) * 1000) / (tables[j].length * n));
    }
  }
  process.stdout.write(`${JSON.stringify({ rows: n, us })}\n`);
}
