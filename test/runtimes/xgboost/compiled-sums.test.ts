import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { RACE_TIMED_CALLS, RACE_WARM_CALLS } from "../../../src/runtimes/common/call-race.ts";
import { categoryBits } from "../../../src/runtimes/xgboost/categorical-walk.ts";
import {
  COMPILE_MAX_DEPTH,
  COMPILE_MAX_NODES,
  compileSums,
  numberLiteral,
} from "../../../src/runtimes/xgboost/compiled-sums.ts";
import { type BindOptions, bindBooster, layoutBooster } from "../../../src/runtimes/xgboost/model.ts";
import { layoutForTransfer } from "../../../src/runtimes/xgboost/runtime.ts";
import { compileWasmSums } from "../../../src/runtimes/xgboost/wasm-sums.ts";
import { seeded } from "../../helpers.ts";

const root = fileURLToPath(new URL("../../fixtures/xgboost/", import.meta.url));
const WAYS: BindOptions["trees"][] = ["compiled", "walked", "race"];

/** A random tree in XGBoost's JSON: `depth` levels at most, thresholds drawn from `values`. */
function randomTree(rand: () => number, cols: number, depth: number, values: number[], leaves: number) {
  const t = {
    left_children: [] as number[],
    right_children: [] as number[],
    split_indices: [] as number[],
    split_conditions: [] as number[],
    default_left: [] as number[],
    split_type: [] as number[],
    base_weights: [] as number[],
    tree_param: { num_feature: String(cols), num_nodes: "0", size_leaf_vector: "0" },
  };
  const grow = (d: number): number => {
    const n = t.left_children.length;
    t.left_children.push(-1);
    t.right_children.push(-1);
    t.split_type.push(0);
    t.base_weights.push(0);
    if (d >= depth || (d > 0 && rand() < 0.3)) {
      t.split_indices.push(0);
      t.split_conditions.push(Math.fround((rand() - 0.5) * leaves));
      t.default_left.push(0);
      return n;
    }
    t.split_indices.push(Math.floor(rand() * cols));
    const pick = rand();
    t.split_conditions.push(
      pick < 0.05 ? Number.POSITIVE_INFINITY : pick < 0.1 ? -0 : values[Math.floor(rand() * values.length)],
    );
    t.default_left.push(rand() < 0.5 ? 1 : 0);
    t.left_children[n] = grow(d + 1);
    t.right_children[n] = grow(d + 1);
    return n;
  };
  grow(0);
  t.tree_param.num_nodes = String(t.left_children.length);
  return t;
}

/** A booster of random trees over `cols` columns and `groups` outputs, in XGBoost's JSON. */
function randomBooster(seed: number, trees: number, cols: number, groups: number, depth: number) {
  const rand = seeded(seed);
  const values = Array.from({ length: 40 }, () => Math.fround((rand() - 0.5) * 8));
  return {
    model: {
      learner: {
        attributes: {},
        feature_names: [],
        feature_types: [],
        learner_model_param: {
          base_score: "5E-1",
          num_class: groups > 1 ? String(groups) : "0",
          num_feature: String(cols),
          num_target: "1",
        },
        objective: { name: groups > 1 ? "multi:softprob" : "reg:squarederror" },
        gradient_booster: {
          name: "gbtree",
          model: {
            gbtree_model_param: { num_trees: String(trees), size_leaf_vector: "0" },
            tree_info: Array.from({ length: trees }, (_, i) => i % groups),
            trees: Array.from({ length: trees }, () => randomTree(rand, cols, depth, values, 2)),
          },
        },
      },
      version: [1, 7, 4],
    },
    values,
    rand,
  };
}

/** Rows whose values are the thresholds themselves, their float32 neighbours, NaN, ±0 and ±∞. */
function rowsFor(rand: () => number, values: number[], rows: number, cols: number): Float64Array {
  const x = new Float64Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const p = rand();
    const v = values[Math.floor(rand() * values.length)];
    x[i] =
      p < 0.1
        ? Number.NaN
        : p < 0.15
          ? (rand() < 0.5 ? 1 : -1) * (rand() < 0.5 ? 0 : Number.POSITIVE_INFINITY)
          : p < 0.55
            ? v
            : p < 0.75
              ? v + Math.abs(v) * 2 ** -24 + 1e-45
              : (rand() - 0.5) * 10;
  }
  return x;
}

describe("compiled booster trees", () => {
  it("give every fixture the margins XGBoost gives, bit for bit, compiled, walked and raced", () => {
    let checked = 0;
    for (const d of readdirSync(root).sort()) {
      const info = JSON.parse(readFileSync(join(root, d, "info.json"), "utf8"));
      const exp = JSON.parse(readFileSync(join(root, d, "expected.json"), "utf8"));
      if (!exp.margin || !/\.(json|ubj)$/.test(info.file)) continue;
      const rows: unknown[][] = JSON.parse(readFileSync(join(root, d, "inputs.json"), "utf8"));
      if (!rows.every((r) => r.every((v) => v === null || typeof v === "number"))) continue;
      const { layout } = layoutForTransfer(new Uint8Array(readFileSync(join(root, d, info.file))), info.file);
      if (!layout.trees) continue;
      const cols = layout.numFeature;
      const x = Float64Array.from(rows.flat(), (v) => (v === null ? Number.NaN : (v as number)));
      const want = exp.margin.flat();
      for (const trees of WAYS) {
        const b = bindBooster(layout, { trees });
        // The whole set as one batch, alternating between the two while the race warms up, then row by row.
        for (let k = 0; k < 2 * (RACE_WARM_CALLS + RACE_TIMED_CALLS) + 1; k++)
          assert.deepEqual(Array.from(b.margins(x, rows.length, cols)), want, `${d} ${trees} batch ${k}`);
        rows.forEach((_, r) => {
          const one = b.margins(x.subarray(r * cols, (r + 1) * cols), 1, cols);
          assert.deepEqual(
            Array.from(one),
            want.slice(r * b.groups, (r + 1) * b.groups),
            `${d} ${trees} row ${r}`,
          );
        });
      }
      checked++;
    }
    assert.ok(checked >= 15, `${checked} fixtures checked`);
  });

  it("sum random boosters exactly as the walks do: thresholds hit, NaN both ways, ±0, ±∞", () => {
    let compiledOnes = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const cols = 1 + (seed % 7);
      const groups = 1 + (seed % 3);
      const { model, values, rand } = randomBooster(seed, 10 + seed * 3, cols, groups, 1 + (seed % 6));
      const layout = layoutBooster(model);
      if (compileSums(layout.trees!, cols, groups)) compiledOnes++;
      const compiled = bindBooster(layout, { trees: "compiled" });
      const walked = bindBooster(layout, { trees: "walked" });
      for (const rows of [1, 3, 8, 13, 64, 200]) {
        const x = rowsFor(rand, values, rows, cols);
        assert.deepEqual(
          Array.from(compiled.margins(x, rows, cols)),
          Array.from(walked.margins(x, rows, cols)),
          `seed ${seed}, ${rows} rows`,
        );
      }
    }
    assert.equal(compiledOnes, 24);
  });

  it("prints numbers as literals that read back as the same double", () => {
    const rand = seeded(7);
    const xs = [0, -0, 1, -1, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, 2 ** -149, 1e21, 1e-7];
    xs.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    for (let i = 0; i < 2000; i++) {
      const v = (rand() - 0.5) * 10 ** Math.floor(rand() * 80 - 40);
      xs.push(v, Math.fround(v));
    }
    for (const v of xs) assert.ok(Object.is(new Function(`return ${numberLiteral(v)};`)(), v), String(v));
    assert.equal(Number.isNaN(new Function(`return ${numberLiteral(Number.NaN)};`)()), true);
    assert.equal(new Function(`return 2-${numberLiteral(-3)};`)(), 5);
  });

  it("declines boosters too large, too deep or with a NaN threshold", () => {
    const deep = randomBooster(3, 2, 3, 1, 1).model;
    // One chain COMPILE_MAX_DEPTH + 1 levels deep.
    const chain = (levels: number) => {
      const t = deep.learner.gradient_booster.model.trees[0];
      const n = 2 * levels + 1;
      t.left_children = Array.from({ length: n }, (_, i) => (i % 2 === 0 && i < n - 1 ? i + 1 : -1));
      t.right_children = Array.from({ length: n }, (_, i) => (i % 2 === 0 && i < n - 1 ? i + 2 : -1));
      t.split_indices = new Array(n).fill(0);
      t.split_conditions = Array.from({ length: n }, (_, i) => i);
      t.default_left = new Array(n).fill(0);
      t.split_type = new Array(n).fill(0);
      t.base_weights = new Array(n).fill(0);
      t.tree_param.num_nodes = String(n);
      return layoutBooster(deep).trees!;
    };
    assert.ok(compileSums(chain(COMPILE_MAX_DEPTH), 3, 1));
    assert.equal(compileSums(chain(COMPILE_MAX_DEPTH + 1), 3, 1), undefined);
    const big = layoutBooster(randomBooster(5, 400, 4, 1, 6).model).trees!;
    assert.ok(big.left.length > COMPILE_MAX_NODES);
    assert.equal(compileSums(big, 4, 1), undefined);
    const nanCond = layoutBooster(randomBooster(6, 4, 4, 1, 2).model).trees!;
    const at = nanCond.left.findIndex((l) => l !== -1);
    const cond = Float64Array.from(nanCond.cond);
    cond[at] = Number.NaN;
    assert.equal(compileSums({ ...nanCond, cond }, 4, 1), undefined);
    assert.ok(compileSums(nanCond, 4, 1));
  });

  it("leaves the walks serving where code generation from strings is forbidden", () => {
    const script = `
      const { compileSums } = await import(${JSON.stringify(new URL("../../../src/runtimes/xgboost/compiled-sums.ts", import.meta.url).href)});
      const { bindBooster, layoutBooster } = await import(${JSON.stringify(new URL("../../../src/runtimes/xgboost/model.ts", import.meta.url).href)});
      const model = JSON.parse(process.argv[1]);
      const layout = layoutBooster(model);
      const b = bindBooster(layout);
      const x = Float64Array.from({ length: 40 }, (_, i) => (i % 7) - 3);
      process.stdout.write(JSON.stringify({ compiled: compileSums(layout.trees, 4, 1) !== undefined, m: Array.from(b.margins(x, 10, 4)) }));
    `;
    const { model } = randomBooster(9, 6, 4, 1, 3);
    // JSON has no ∞ (it would come back a null, a NaN threshold, which the compiler declines).
    for (const t of model.learner.gradient_booster.model.trees)
      t.split_conditions = t.split_conditions.map((v) => (Number.isFinite(v) ? v : 3));
    const run = (flags: string[]) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [...flags, "--input-type=module", "-e", script, JSON.stringify(model)],
          {
            encoding: "utf8",
          },
        ),
      );
    const forbidden = run(["--disallow-code-generation-from-strings"]);
    const allowed = run([]);
    assert.equal(forbidden.compiled, false);
    assert.equal(allowed.compiled, true);
    assert.deepEqual(forbidden.m, allowed.m);
  });
});

describe("booster trees compiled to WebAssembly", () => {
  it("sum random boosters exactly as the walks do, over one slab of rows and several", () => {
    for (let seed = 1; seed <= 24; seed++) {
      const cols = 1 + (seed % 7);
      const groups = 1 + (seed % 3);
      const { model, values, rand } = randomBooster(seed, 10 + seed * 3, cols, groups, 1 + (seed % 6));
      const layout = layoutBooster(model);
      const wasm = compileWasmSums(layout.trees!, cols, groups, layout.trees!.baseMargin);
      assert.ok(wasm, `seed ${seed} compiled`);
      const walked = bindBooster(layout, { trees: "walked" });
      // One 64 KiB page holds 65 536 / (4 × (cols + groups)) rows: 2 000 and 5 000 rows take several slabs.
      for (const rows of [1, 3, 8, 13, 64, 200, 2000, 5000]) {
        const x = rowsFor(rand, values, rows, cols);
        assert.deepEqual(
          Array.from(wasm(x, rows, cols)),
          Array.from(walked.margins(x, rows, cols)),
          `seed ${seed}, ${rows} rows`,
        );
      }
    }
  });

  it("split by category as the walks do: codes in and out of the set, fractions, negatives, ±∞, NaN", () => {
    for (let seed = 31; seed <= 46; seed++) {
      const cols = 2 + (seed % 4);
      const groups = 1 + (seed % 3);
      const { model, values, rand } = randomBooster(seed, 12 + seed, cols, groups, 1 + (seed % 5));
      const layout = layoutBooster(model);
      const t = layout.trees!;
      // About a third of the splits become categorical: a set of codes below 24 going right, and no
      // threshold (NaN, as XGBoost leaves it at such nodes).
      const catIndex = new Int32Array(t.left.length).fill(-1);
      const catSets: number[][] = [];
      const cond = Float64Array.from(t.cond);
      for (let n = 0; n < t.left.length; n++) {
        if (t.left[n] === -1 || rand() > 0.35) continue;
        catIndex[n] = catSets.length;
        catSets.push(Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 24)));
        cond[n] = Number.NaN;
      }
      const trees = { ...t, catIndex, catSets, cond };
      const wasm = compileWasmSums(trees, cols, groups, t.baseMargin, categoryBits(catIndex, catSets));
      assert.ok(wasm, `seed ${seed} compiled`);
      const walked = bindBooster({ ...layout, trees }, { trees: "walked" });
      const pool = [
        ...values,
        0,
        1,
        2,
        3,
        5,
        7,
        11,
        23,
        24,
        25,
        3.7,
        0.5,
        -0.5,
        -1,
        -3,
        1e6,
        2 ** 31,
        -(2 ** 31),
      ];
      pool.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0);
      for (const rows of [1, 7, 64, 3000]) {
        const x = Float64Array.from({ length: rows * cols }, () => pool[Math.floor(rand() * pool.length)]);
        assert.deepEqual(
          Array.from(wasm(x, rows, cols)),
          Array.from(walked.margins(x, rows, cols)),
          `seed ${seed}, ${rows} rows`,
        );
      }
    }
  });

  it("declines what the JavaScript compiler declines: too large, too deep, a NaN threshold", () => {
    const big = layoutBooster(randomBooster(5, 400, 4, 1, 6).model);
    assert.ok(big.trees!.left.length > COMPILE_MAX_NODES);
    assert.equal(compileWasmSums(big.trees!, 4, 1, big.trees!.baseMargin), undefined);
    const nan = layoutBooster(randomBooster(6, 4, 4, 1, 2).model);
    assert.ok(compileWasmSums(nan.trees!, 4, 1, nan.trees!.baseMargin));
    const at = nan.trees!.left.findIndex((l) => l !== -1);
    const cond = Float64Array.from(nan.trees!.cond);
    cond[at] = Number.NaN;
    assert.equal(compileWasmSums({ ...nan.trees!, cond }, 4, 1, nan.trees!.baseMargin), undefined);
  });

  it("leaves the JavaScript serving where WebAssembly is missing, with the same margins", () => {
    // Deleted once the modules are loaded (Node strips their types with WebAssembly; \`--jitless\`
    // would remove both).
    const script = `
      const { compileWasmSums } = await import(${JSON.stringify(new URL("../../../src/runtimes/xgboost/wasm-sums.ts", import.meta.url).href)});
      const { bindBooster, layoutBooster } = await import(${JSON.stringify(new URL("../../../src/runtimes/xgboost/model.ts", import.meta.url).href)});
      if (process.argv[2] === "without") delete globalThis.WebAssembly;
      const layout = layoutBooster(JSON.parse(process.argv[1]));
      const b = bindBooster(layout, { trees: "compiled" });
      const x = Float64Array.from({ length: 400 }, (_, i) => ((i * 37) % 23) / 3 - 3);
      process.stdout.write(JSON.stringify({ wasm: compileWasmSums(layout.trees, 4, 2, layout.trees.baseMargin) !== undefined, m: Array.from(b.margins(x, 100, 4)) }));
    `;
    const { model } = randomBooster(11, 12, 4, 2, 3);
    for (const t of model.learner.gradient_booster.model.trees)
      t.split_conditions = t.split_conditions.map((v) => (Number.isFinite(v) ? v : 3));
    const run = (which: string) =>
      JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(model), which], {
          encoding: "utf8",
        }),
      );
    const without = run("without");
    const withIt = run("with");
    assert.equal(without.wasm, false);
    assert.equal(withIt.wasm, true);
    assert.deepEqual(without.m, withIt.m);
  });
});
