/**
 * @module The eight-row LightGBM walk against LightGBM's per-node rule, on random trees with every
 * missing-value type and default direction, NaN and zero values: same leaf for every row; trees it
 * cannot take (categorical or zero-as-missing splits, linear leaves) are left to the row walk.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { type LockstepSource, lockstepLayout, walkRows } from "../../../src/runtimes/lightgbm/lockstep.ts";
import { seeded } from "../../helpers.ts";

const rand = seeded(11);

/** A random tree in LightGBM's arrays (children `< 0` are `~leaf`); missing types none or NaN. */
function randomTree(leaves: number, cols: number): LockstepSource {
  const left: number[] = [~0];
  const right: number[] = [~1];
  const feature = [0];
  const threshold = [0];
  const decision = [0];
  // Grow by splitting random leaves: a leaf l at node k's side becomes a new internal node.
  let nextLeaf = 2;
  while (nextLeaf < leaves) {
    const k = Math.floor(rand() * left.length);
    const side = rand() < 0.5 ? left : right;
    if (side[k] >= 0) continue;
    const inner = left.length;
    left.push(side[k]);
    right.push(~nextLeaf++);
    side[k] = inner;
    feature.push(0);
    threshold.push(0);
    decision.push(0);
  }
  for (let k = 0; k < left.length; k++) {
    feature[k] = Math.floor(rand() * cols);
    threshold[k] = rand() < 0.1 ? 0 : Math.round((rand() - 0.5) * 100) / 50;
    decision[k] = ((rand() < 0.5 ? 2 : 0) << 2) | (rand() < 0.5 ? 2 : 0);
  }
  return { numLeaves: leaves, linear: false, feature, threshold, decision, left, right };
}

/** LightGBM's numeric rule, one node at a time (missing types none and NaN). */
function reference(t: LockstepSource, x: Float64Array, at: number): number {
  let n = 0;
  for (;;) {
    const dt = t.decision[n];
    let v = x[at + t.feature[n]];
    let goLeft: boolean;
    if (((dt >> 2) & 3) === 2 && Number.isNaN(v)) goLeft = (dt & 2) !== 0;
    else {
      if (Number.isNaN(v)) v = 0;
      goLeft = v <= t.threshold[n];
    }
    const next = goLeft ? t.left[n] : t.right[n];
    if (next < 0) return ~next;
    n = next;
  }
}

it("reaches the same leaf as LightGBM's rule, for every row of 300 random trees", () => {
  const cols = 4;
  const trees = Array.from({ length: 300 }, () => randomTree(2 + Math.floor(rand() * 40), cols));
  const s = lockstepLayout(trees);
  const rows = 37;
  const x = Float64Array.from({ length: rows * cols }, () => {
    const u = rand();
    return u < 0.15 ? Number.NaN : u < 0.25 ? 0 : Math.round((rand() - 0.5) * 100) / 50;
  });
  const leaves = new Int32Array(rows);
  trees.forEach((t, ti) => {
    assert.ok(s.root[ti] >= 0, `tree ${ti} is eligible`);
    walkRows(s, ti, x, 0, rows, cols, leaves);
    for (let r = 0; r < rows; r++) assert.equal(leaves[r], reference(t, x, r * cols), `tree ${ti} row ${r}`);
  });
});

it("leaves categorical, zero-as-missing, linear and one-leaf trees to the row walk", () => {
  const base = randomTree(5, 3);
  const withDecision = (k: number, dt: number): LockstepSource => ({
    ...base,
    decision: Array.from(base.decision, (d, i) => (i === k ? dt : d)),
  });
  const s = lockstepLayout([
    base,
    withDecision(2, 1),
    withDecision(1, 1 << 2),
    { ...base, linear: true },
    { numLeaves: 1, linear: false, feature: [], threshold: [], decision: [], left: [], right: [] },
  ]);
  assert.deepEqual(
    [...s.root].map((r) => r >= 0),
    [true, false, false, false, false],
  );
});
