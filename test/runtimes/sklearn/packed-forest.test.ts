/**
 * The packed forest's single-row walk against a plain walk of each tree: eight trees at a time in lock
 * step, a tree deeper than 254 levels (its depth not recorded: the branching walk), single-leaf trees,
 * rows with NaN sent where each node's `missingLeft` says, float32-cast inputs.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  type CompiledTree,
  packedLeaves,
  packForest,
} from "../../../src/runtimes/sklearn/estimators/trees/tree.ts";
import { seeded } from "../../helpers.ts";

/** The parts of a compiled tree that packing reads, for a random tree (or a chain `depth` deep). */
function tree(rand: () => number, cols: number, opts: { nodes?: number; chain?: number }): CompiledTree {
  const left = [-1];
  const right = [-1];
  const open = [0];
  const grow = (n: number) => {
    left[n] = left.length;
    right[n] = left.length + 1;
    left.push(-1, -1);
    right.push(-1, -1);
    open.push(left[n], right[n]);
  };
  if (opts.chain) for (let d = 0, n = 0; d < opts.chain; d++, n = left[n]) grow(n);
  else
    while (left.length + 2 <= (opts.nodes ?? 1) && open.length > 0)
      grow(open.splice(Math.floor(rand() * open.length), 1)[0]);
  const count = left.length;
  const nodes = {
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    feature: Int32Array.from({ length: count }, () => Math.floor(rand() * cols)),
    // A chain sends every row (inputs in [0, 1), NaN too) down its whole length.
    threshold: Float64Array.from({ length: count }, () => (opts.chain ? 2 : rand())),
    missingLeft: Uint8Array.from({ length: count }, () => (opts.chain || rand() < 0.5 ? 1 : 0)),
    cover: new Float64Array(0),
  };
  return { nodeCount: count, nodes } as unknown as CompiledTree;
}

/** scikit-learn's walk: float32 input, `<=` left, NaN left where `missingLeft`, else right. */
function reference(t: CompiledTree, x: Float64Array, at: number): number {
  const { left, right, feature, threshold, missingLeft } = t.nodes;
  let i = 0;
  while (left[i] !== -1) {
    const v = Math.fround(x[at + feature[i]]);
    i = v <= threshold[i] || (Number.isNaN(v) && missingLeft[i] === 1) ? left[i] : right[i];
  }
  return i;
}

it("takes a row to every tree's own leaf: lock step, a tree too deep to record, single leaves, NaN", () => {
  const rand = seeded(5);
  const cols = 5;
  for (let k = 0; k < 60; k++) {
    const trees = [
      ...Array.from({ length: 9 + Math.floor(rand() * 20) }, () =>
        tree(rand, cols, { nodes: 1 + Math.floor(rand() * 80) }),
      ),
      tree(rand, cols, { nodes: 1 }),
      ...(k % 2 === 0 ? [tree(rand, cols, { chain: 300 })] : []),
    ];
    const packed = packForest(trees);
    assert.equal(packed.depth.includes(255), k % 2 === 0, "the 300-deep chain's depth is not recorded");
    const rows = 8;
    const x = Float64Array.from({ length: rows * cols }, () => (rand() < 0.05 ? Number.NaN : rand()));
    const out = new Int32Array(trees.length);
    const xr = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      packedLeaves(packed, x, r * cols, cols, out, xr);
      for (let i = 0; i < trees.length; i++) {
        const want = packed.offsets[i] + reference(trees[i], x, r * cols);
        assert.equal(out[i], want, `case ${k}, row ${r}, tree ${i}`);
      }
    }
  }
});
