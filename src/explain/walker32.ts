/**
 * @module The TreeSHAP recursion in float32, as XGBoost computes it: every operation rounded to float32
 * in XGBoost's order (`ExtendPath`, `UnwindPath`, `UnwoundPathSum`, `TreeShap` in `tree_model.cc`).
 * Kept apart from {@link Walker64} so each stays monomorphic.
 */

import { PathState } from "./path-state.ts";

const f = Math.fround;

/** Walks one tree in float32 over the path state of {@link PathState}. */
export class Walker32 extends PathState {
  /** EXTEND: adds a (zero, one) fraction pair for `feature` at `depth` of the path starting at `p`. */
  extend(p: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const { pw } = this;
    this.feat[p + depth] = feature;
    this.zero[p + depth] = zeroFraction;
    this.one[p + depth] = oneFraction;
    pw[p + depth] = depth === 0 ? 1 : 0;
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      pw[p + i + 1] = f(pw[p + i + 1] + f(f(f(oneFraction * pw[p + i]) * (i + 1)) / d1));
      pw[p + i] = f(f(f(zeroFraction * pw[p + i]) * (depth - i)) / d1);
    }
  }

  /** UNWIND: removes path element `index` from the path of `depth` starting at `p`. */
  unwind(p: number, depth: number, index: number): void {
    const { pw } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = pw[p + i];
        pw[p + i] = f(f(next * d1) / f((i + 1) * oneFraction));
        next = f(tmp - f(f(f(pw[p + i] * zeroFraction) * (depth - i)) / d1));
      } else {
        pw[p + i] = f(f(pw[p + i] * d1) / f(zeroFraction * (depth - i)));
      }
    }
    this.shiftOut(p, depth, index);
  }

  /** The total permutation weight, rounded to float32 at each step, if element `index` were unwound (the path unchanged). */
  unwoundSum(p: number, depth: number, index: number): number {
    let total = 0;
    const { pw } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = f(f(next * d1) / f((i + 1) * oneFraction));
        total = f(total + tmp);
        next = f(pw[p + i] - f(f(tmp * zeroFraction) * f((depth - i) / d1)));
      } else if (zeroFraction !== 0) {
        total = f(total + f(f(pw[p + i] / zeroFraction) / f((depth - i) / d1)));
      }
    }
    return total;
  }

  /** At a leaf: adds each path feature's share of the leaf's values to its contributions. */
  leaf(node: number, p: number, depth: number): void {
    const t = this.tree;
    const width = t.width;
    const vBase = node * width;
    for (let i = 1; i <= depth; i++) {
      const scale = f(this.unwoundSum(p, depth, i) * f(this.one[p + i] - this.zero[p + i]));
      const o = this.phiBase + this.feat[p + i] * this.stride;
      for (let k = 0; k < width; k++) this.phi[o + k] = f(this.phi[o + k] + f(scale * t.values[vBase + k]));
    }
  }

  /** The recursion at `node`; `parent` is where the parent's path starts, `depth` the new path length − 1. */
  visit(node: number, depth: number, parent: number, feature: number): void {
    const p = parent + depth + 1;
    this.copyPath(parent, p, depth);
    this.extend(p, depth, this.zf, this.of, feature);
    const t = this.tree;
    if (t.left[node] === -1) {
      this.leaf(node, p, depth);
      return;
    }
    this.branch(node, p, depth);
    const { hot, cold, inZero, inOne, next } = this;
    const w = t.cover[node];
    const split = t.feature[node];
    this.zf = f(f(t.cover[hot] / w) * inZero);
    this.of = inOne;
    this.visit(hot, next, p, split);
    this.zf = f(f(t.cover[cold] / w) * inZero);
    this.of = 0;
    this.visit(cold, next, p, split);
  }
}
