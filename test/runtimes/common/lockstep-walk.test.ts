import assert from "node:assert/strict";
import { it } from "node:test";
import {
  FIXED_STEPS_MAX,
  float32Below,
  lockstepTree,
  UNKNOWN_HEIGHT,
  walkLockstep,
  walkLockstepNaN,
  walkTreesOfRow,
} from "../../../src/runtimes/common/lockstep-walk.ts";
import { seeded } from "../../helpers.ts";

it("float32Below turns x < t into x <= below(t) for float32 values, at every sign and near zero", () => {
  const f = Math.fround;
  const ts = [0, -0, 1, -1, 0.1, -0.1, 3.4e38, -3.4e38, 1e-45, -1e-45, 2 ** -126, 123.456];
  let seed = 9;
  const rnd = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let k = 0; k < 2000; k++) ts.push(f((rnd() - 0.5) * 10 ** Math.floor(rnd() * 8 - 4)));
  for (const t0 of ts) {
    const t = f(t0);
    const b = float32Below(t);
    assert.equal(f(b), b, "below(t) is a float32");
    assert.ok(b < t, `${b} < ${t}`);
    // No float32 lies strictly between: the value just above b is t itself (or -0/+0 for t = 0).
    for (const x of [t, b, f(t * (1 + 1e-7)), f(t * (1 - 1e-7)), f(b - Math.abs(b) * 1e-7)])
      assert.equal(x < t, x <= b, `x=${x} t=${t}`);
  }
});

it("walks eight rows (and the rest) to the same leaves as a plain walk", () => {
  // A depth-3 tree on two features: node i's children are given explicitly, -1 marks leaves.
  const left = Int32Array.from([1, 3, 5, -1, -1, -1, -1]);
  const right = Int32Array.from([2, 4, 6, -1, -1, -1, -1]);
  const feature = Int32Array.from([0, 1, 1, 0, 0, 0, 0]);
  const threshold = Float64Array.from([0.5, 0.25, 0.75, 0, 0, 0, 0]);
  const t = lockstepTree(left, right, feature, threshold);
  const rows = 21;
  const x = new Float32Array(rows * 2);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 100) / 100;
  x[6] = Number.NaN; // NaN goes right
  const leaves = new Int32Array(rows);
  walkLockstep(t, 0, x, 0, rows, 2, leaves);
  for (let r = 0; r < rows; r++) {
    let i = 0;
    while (left[i] !== -1) i = x[r * 2 + feature[i]] <= threshold[i] ? left[i] : right[i];
    assert.equal(leaves[r], i, `row ${r}`);
  }
  assert.equal(leaves[3], 2 * 0 + (x[7] <= 0.75 ? 5 : 6));
});

/** A random tree of `nodes` nodes (children after their parent), as child arrays with -1 at leaves. */
function randomTree(rand: () => number, nodes: number, cols: number, chain: boolean) {
  const left = [-1];
  const right = [-1];
  const open = [0];
  while (left.length + 2 <= nodes && open.length > 0) {
    // A chain grows from its newest node (deep trees); otherwise any open leaf splits (bushy trees).
    const at = chain ? open.length - 1 : Math.floor(rand() * open.length);
    const n = open.splice(at, 1)[0];
    left[n] = left.length;
    right[n] = left.length + 1;
    left.push(-1, -1);
    right.push(-1, -1);
    open.push(left[n], right[n]);
  }
  const count = left.length;
  return {
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    feature: Int32Array.from({ length: count }, () => Math.floor(rand() * cols)),
    threshold: Float64Array.from({ length: count }, () => rand()),
  };
}

/** The leaf a row reaches node by node: `x <= threshold` left; a NaN left where `missingLeft` says. */
function referenceLeaf(
  tree: ReturnType<typeof randomTree>,
  x: Float32Array,
  at: number,
  missingLeft?: Uint8Array,
): number {
  let i = 0;
  while (tree.left[i] !== -1) {
    const v = x[at + tree.feature[i]];
    if (Number.isNaN(v)) i = missingLeft?.[i] ? tree.left[i] : tree.right[i];
    else i = v <= tree.threshold[i] ? tree.left[i] : tree.right[i];
  }
  return i;
}

it("records each node's height, and takes every row to its leaf in shallow, deep and odd trees", () => {
  const rand = seeded(3);
  const cols = 3;
  for (let k = 0; k < 200; k++) {
    const tree = randomTree(rand, 3 + Math.floor(rand() * 120), cols, k % 4 === 0);
    const t = lockstepTree(tree.left, tree.right, tree.feature, tree.threshold);
    const depth = (i: number): number =>
      tree.left[i] === -1 ? 0 : 1 + Math.max(depth(tree.left[i]), depth(tree.right[i]));
    for (let i = 0; i < tree.left.length; i++) assert.equal(t.height[i], Math.min(255, depth(i)));
    const rows = 1 + Math.floor(rand() * 40);
    const x = Float32Array.from({ length: rows * cols }, () => (rand() < 0.05 ? Number.NaN : rand()));
    const leaves = new Int32Array(rows);
    walkLockstep(t, 0, x, 0, rows, cols, leaves);
    for (let r = 0; r < rows; r++)
      assert.equal(leaves[r], referenceLeaf(tree, x, r * cols), `tree ${k}, row ${r}`);
  }
  assert.ok(FIXED_STEPS_MAX >= 4);
});

it("walkTreesOfRow takes one row through many trees (eight at a time and the rest) to each tree's own leaf", () => {
  const rand = seeded(11);
  const cols = 4;
  for (let k = 0; k < 150; k++) {
    // A packed forest of 1–40 random trees (single leaves, bushy and deep chains), children re-based.
    const n = 1 + Math.floor(rand() * 40);
    const trees = Array.from({ length: n }, (_, t) =>
      randomTree(rand, 1 + Math.floor(rand() * 60), cols, t % 5 === 0),
    );
    const roots = new Int32Array(n);
    const left: number[] = [];
    const right: number[] = [];
    const feature: number[] = [];
    const threshold: number[] = [];
    trees.forEach((tree, t) => {
      const base = left.length;
      roots[t] = base;
      for (let i = 0; i < tree.left.length; i++) {
        left.push(tree.left[i] === -1 ? -1 : tree.left[i] + base);
        right.push(tree.right[i] === -1 ? -1 : tree.right[i] + base);
        feature.push(tree.feature[i]);
        threshold.push(tree.threshold[i]);
      }
    });
    const packed = lockstepTree(
      Int32Array.from(left),
      Int32Array.from(right),
      Int32Array.from(feature),
      Float64Array.from(threshold),
    );
    const steps = Uint8Array.from(roots, (r) => packed.height[r]);
    assert.ok(steps.every((h) => h !== UNKNOWN_HEIGHT));
    const order = Int32Array.from(steps.keys()).sort((a, b) => steps[a] - steps[b] || a - b);
    // Some trees left to the caller (as the runtimes do with trees the walk must not take).
    const count = k % 3 === 0 ? Math.floor(rand() * n) : n;
    const rows = 6;
    const x64 = Float64Array.from({ length: rows * cols }, () => Math.fround(rand()));
    const x32 = Float32Array.from(x64);
    for (let r = 0; r < rows; r++) {
      const leaves = new Int32Array(n).fill(-7);
      walkTreesOfRow(packed, roots, steps, order, count, x64, r * cols, leaves);
      for (let g = 0; g < n; g++) {
        const t = order[g];
        if (g >= count) {
          assert.equal(leaves[t], -7, "a tree past `count` is left alone");
          continue;
        }
        const own = referenceLeaf(trees[t], x32, r * cols);
        assert.equal(leaves[t], own + roots[t], `case ${k}, row ${r}, tree ${t}`);
      }
    }
  }
});

it("does not trust heights when a child comes before its parent", () => {
  // Node 1 splits into nodes 0 and 2: its left child comes first, so no height is trusted and the
  // walk checks for leaves as it goes.
  const swapped = lockstepTree(
    Int32Array.from([-1, 0, -1]),
    Int32Array.from([-1, 2, -1]),
    new Int32Array(3),
    Float64Array.from([0, 0.5, 0]),
  );
  assert.deepEqual([...swapped.height], [255, 255, 255]);
  const x = Float32Array.from([0.2, 0.9]);
  const leaves = new Int32Array(2);
  walkLockstep(swapped, 1, x, 0, 2, 1, leaves);
  assert.deepEqual([...leaves], [0, 2]);
});

it("walkLockstepNaN sends each NaN where its node says, and agrees with walkLockstep on rows without one", () => {
  const rand = seeded(5);
  const cols = 3;
  for (let k = 0; k < 200; k++) {
    const tree = randomTree(rand, 3 + Math.floor(rand() * 120), cols, k % 4 === 0);
    const missingLeft = Uint8Array.from(tree.left, () => (rand() < 0.5 ? 1 : 0));
    const t = lockstepTree(tree.left, tree.right, tree.feature, tree.threshold, missingLeft);
    const rows = 1 + Math.floor(rand() * 40);
    const x = Float32Array.from({ length: rows * cols }, () => (rand() < 0.1 ? Number.NaN : rand()));
    const leaves = new Int32Array(rows);
    walkLockstepNaN(t, 0, x, 0, rows, cols, leaves);
    for (let r = 0; r < rows; r++)
      assert.equal(leaves[r], referenceLeaf(tree, x, r * cols, missingLeft), `tree ${k}, row ${r}`);
    const clean = x.map((v) => (Number.isNaN(v) ? 0.5 : v));
    const a = new Int32Array(rows);
    const b = new Int32Array(rows);
    walkLockstep(t, 0, clean, 0, rows, cols, a);
    walkLockstepNaN(t, 0, clean, 0, rows, cols, b);
    assert.deepEqual(b, a);
  }
});
