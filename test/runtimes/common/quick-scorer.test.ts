/**
 * QuickScorer (`common/quick-scorer.ts`) finds the very leaf the packed ensemble's walk finds, for every
 * row: random forests of random shapes (skinny and balanced, up to 32 leaves), thresholds rows land on
 * exactly, NaN sent left or right per split, infinities and signed zeros. The walk is the one the
 * scikit-learn fixtures check against scikit-learn's own answers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QUICK_MAX_LEAVES, quickLeaves, quickScorer } from "../../../src/runtimes/common/quick-scorer.ts";
import {
  type CompiledTree,
  packedLeaves,
  packForest,
} from "../../../src/runtimes/sklearn/estimators/trees/tree.ts";
import { seeded } from "../../helpers.ts";

/** Split values on a coarse grid, so rows often land exactly on a threshold. */
const GRID = [-2, -1, -0.5, 0, 0.25, 0.5, 1, 1.5, 2, 3];

type Nodes = CompiledTree["nodes"] & { n: number };

/** Nodes in scikit-learn's order (a node, then its left subtree, then its right), added one at a time. */
function builder() {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const missingLeft: number[] = [];
  return {
    /** A new node, a leaf until `split` makes it a split. */
    node(): number {
      left.push(-1);
      right.push(-1);
      feature.push(-2);
      threshold.push(-2);
      missingLeft.push(0);
      return left.length - 1;
    },
    split(id: number, f: number, t: number, toLeft: number, l: number, r: number): number {
      feature[id] = f;
      threshold[id] = t;
      missingLeft[id] = toLeft;
      left[id] = l;
      right[id] = r;
      return id;
    },
    nodes(): Nodes {
      return {
        n: left.length,
        left: Int32Array.from(left),
        right: Int32Array.from(right),
        feature: Int32Array.from(feature),
        threshold: Float64Array.from(threshold),
        missingLeft: Uint8Array.from(missingLeft),
        cover: new Float64Array(left.length),
      };
    },
  };
}

/** A random tree of `leaves` leaves over `cols` columns. */
function randomTree(rnd: () => number, leaves: number, cols: number): Nodes {
  const b = builder();
  const grow = (count: number): number => {
    const id = b.node();
    if (count === 1) return id;
    // Skinny trees (one leaf to a side) as often as balanced ones.
    const toLeft = rnd() < 0.5 ? 1 + Math.floor(rnd() * (count - 1)) : count >> 1;
    const f = Math.floor(rnd() * cols);
    const t = GRID[Math.floor(rnd() * GRID.length)] + (rnd() < 0.3 ? 1e-7 : 0);
    const nanLeft = rnd() < 0.5 ? 1 : 0;
    return b.split(id, f, t, nanLeft, grow(toLeft), grow(count - toLeft));
  };
  grow(leaves);
  return b.nodes();
}

/** A chain of `leaves` leaves splitting column 0 at 0, 1, 2…: each split's `side` child the rest of the chain. */
function chain(leaves: number, side: "left" | "right"): Nodes {
  const b = builder();
  const grow = (k: number): number => {
    const id = b.node();
    if (k === leaves - 1) return id;
    return side === "right"
      ? b.split(id, 0, k, 0, grow(leaves - 1), grow(k + 1))
      : // Left-leaning: the split at the top holds the largest threshold.
        b.split(id, 0, leaves - 2 - k, 0, grow(k + 1), grow(leaves - 1));
  };
  grow(0);
  return b.nodes();
}

function forest(rnd: () => number, trees: number, cols: number, maxLeaves: number) {
  const compiled = Array.from({ length: trees }, () => {
    const nodes = randomTree(rnd, 1 + Math.floor(rnd() * maxLeaves), cols);
    return { nodeCount: nodes.n, nodes } as unknown as CompiledTree;
  });
  return packForest(compiled);
}

function randomRows(rnd: () => number, rows: number, cols: number): Float64Array {
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0];
  const x = new Float64Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const u = rnd();
    x[i] =
      u < 0.1
        ? special[Math.floor(rnd() * special.length)]
        : u < 0.5
          ? GRID[Math.floor(rnd() * GRID.length)]
          : (rnd() - 0.5) * 8;
  }
  return x;
}

describe("QuickScorer", () => {
  it("finds the walk's leaf in every tree, for every row (random forests, NaN both ways)", () => {
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = seeded(seed);
      const cols = 1 + Math.floor(rnd() * 12);
      const packed = forest(rnd, 1 + Math.floor(rnd() * 60), cols, QUICK_MAX_LEAVES);
      const q = quickScorer(packed, cols);
      assert.ok(q, `seed ${seed}: the forest fits`);
      const x = randomRows(rnd, 200, cols);
      const want = new Int32Array(packed.trees);
      const got = new Int32Array(packed.trees);
      const words = new Int32Array(packed.trees);
      for (let r = 0; r < 200; r++) {
        packedLeaves(packed, x, r * cols, cols, want, new Float64Array(cols));
        quickLeaves(q, x, r * cols, got, words);
        assert.deepStrictEqual(got, want, `seed ${seed}, row ${r}`);
        checked += packed.trees;
      }
    }
    assert.ok(checked > 100_000, `${checked} leaves checked`);
  });

  it("takes trees of exactly 32 leaves (the word's top bit) and refuses 33", () => {
    // Chains of 32 leaves on column 0: leaf j holds x0 in (j - 1, j], the last x0 > 30. One chain
    // leans right (each split's left child a leaf), one left (each split's right child a leaf).
    const rightChain = chain(32, "right");
    const leftChain = chain(32, "left");
    const packed = packForest(
      [rightChain, leftChain, chain(1, "right")].map(
        (nodes) => ({ nodeCount: nodes.n, nodes }) as unknown as CompiledTree,
      ),
    );
    const q = quickScorer(packed, 1);
    assert.ok(q);
    const reached = [new Set<number>(), new Set<number>()];
    const out = new Int32Array(3);
    const want = new Int32Array(3);
    for (const v of [...Array.from({ length: 34 }, (_, j) => j - 1), 0.5, 30.5, 99, Number.NaN]) {
      const x = Float64Array.of(v);
      quickLeaves(q, x, 0, out, new Int32Array(3));
      packedLeaves(packed, x, 0, 1, want, new Float64Array(1));
      assert.deepStrictEqual(out, want, `x0 = ${v}`);
      reached[0].add(out[0]);
      reached[1].add(out[1]);
    }
    assert.equal(reached[0].size, 32);
    assert.equal(reached[1].size, 32);
    const over = packForest([{ nodeCount: 65, nodes: chain(33, "right") } as unknown as CompiledTree]);
    assert.equal(quickScorer(over, 1), undefined);
  });

  it("refuses a split on a column out of range or at a NaN threshold", () => {
    const nodes = chain(4, "right");
    const one = () => packForest([{ nodeCount: nodes.n, nodes } as unknown as CompiledTree]);
    assert.ok(quickScorer(one(), 1));
    nodes.feature[0] = 1;
    assert.ok(quickScorer(one(), 2));
    assert.equal(quickScorer(one(), 1), undefined);
    nodes.feature[0] = 0;
    nodes.threshold[0] = Number.NaN;
    assert.equal(quickScorer(one(), 1), undefined);
  });

  it("counts a row's work the same way every time", () => {
    // Chains of 32 leaves on one column: rows at the splits fail on average half the 31 tests.
    const packed = packForest([{ nodeCount: 63, nodes: chain(32, "right") } as unknown as CompiledTree]);
    const q = quickScorer(packed, 1)!;
    assert.equal(q.work, quickScorer(packed, 1)!.work);
    // 31 splits on one column: a value among them fails 15 on average; plus two for the tree, one
    // for the column.
    assert.equal(q.work, 15 + 2 + 1);
  });
});
