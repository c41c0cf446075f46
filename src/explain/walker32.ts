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
    for (let i = index; i < depth; i++) {
      this.feat[p + i] = this.feat[p + i + 1];
      this.zero[p + i] = this.zero[p + i + 1];
      this.one[p + i] = this.one[p + i + 1];
    }
  }

  /** The total permutation weight if element `index` were unwound (without changing the path). */
  unwoundSum(p: number, depth: number, index: number): number {
    const { pw } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
    let total = 0;
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

  /** The recursion at `node`; `parent` is where the parent's path starts, `depth` the new path length − 1. */
  visit(node: number, depth: number, parent: number, feature: number): void {
    // The incoming fractions travel in fields, not arguments: a double argument of a call that is not
    // inlined (this recursion) would be boxed on every node.
    const zeroFraction = this.zf;
    const oneFraction = this.of;
    const t = this.tree;
    const p = parent + depth + 1;
    for (let i = 0; i <= depth; i++) {
      this.feat[p + i] = this.feat[parent + i];
      this.zero[p + i] = this.zero[parent + i];
      this.one[p + i] = this.one[parent + i];
      this.pw[p + i] = this.pw[parent + i];
    }
    this.extend(p, depth, zeroFraction, oneFraction, feature);
    const left = t.left[node];
    if (left === -1) {
      const width = t.width;
      const vBase = node * width;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(p, depth, i);
        const scale = f(w * f(this.one[p + i] - this.zero[p + i]));
        const o = this.phiBase + this.feat[p + i] * this.stride;
        for (let k = 0; k < width; k++) this.phi[o + k] = f(this.phi[o + k] + f(scale * t.values[vBase + k]));
      }
      return;
    }
    const right = t.right[node];
    const split = t.feature[node];
    const hot = t.goesLeft(node, this.x, this.at) ? left : right;
    const cold = hot === left ? right : left;
    const w = t.cover[node];
    const hotZero = f(t.cover[hot] / w);
    const coldZero = f(t.cover[cold] / w);
    let inZero = 1;
    let inOne = 1;
    let index = 0;
    for (; index <= depth; index++) if (this.feat[p + index] === split) break;
    let d = depth;
    if (index !== depth + 1) {
      inZero = this.zero[p + index];
      inOne = this.one[p + index];
      this.unwind(p, d, index);
      d -= 1;
    }
    this.zf = f(hotZero * inZero);
    this.of = inOne;
    this.visit(hot, d + 1, p, split);
    this.zf = f(coldZero * inZero);
    this.of = 0;
    this.visit(cold, d + 1, p, split);
  }
}
