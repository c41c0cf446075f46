import assert from "node:assert/strict";
import { it } from "node:test";
import { float32Below, lockstepTree, walkLockstep } from "../../../src/runtimes/common/lockstep-walk.ts";

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
