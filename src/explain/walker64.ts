/**
 * @module The TreeSHAP recursion in float64, as LightGBM and shap compute it. The same code as
 * {@link Walker32} without the float32 rounding: two classes, because one class taking the rounding as
 * a parameter turns every arithmetic step into a polymorphic call once both precisions run in one
 * process (measured 6× slower).
 */

import { PathState } from "./path-state.ts";

/** Walks one tree in float64 over the path state of {@link PathState}. */
export class Walker64 extends PathState {
  /** EXTEND: adds a (zero, one) fraction pair for `feature` at `depth` of the path starting at `p`. */
  extend(p: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const { pw } = this;
    this.feat[p + depth] = feature;
    this.zero[p + depth] = zeroFraction;
    this.one[p + depth] = oneFraction;
    pw[p + depth] = depth === 0 ? 1 : 0;
    const d1 = depth + 1;
    for (let i = depth - 1; i >= 0; i--) {
      pw[p + i + 1] = pw[p + i + 1] + (oneFraction * pw[p + i] * (i + 1)) / d1;
      pw[p + i] = (zeroFraction * pw[p + i] * (depth - i)) / d1;
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
        pw[p + i] = (next * d1) / ((i + 1) * oneFraction);
        next = tmp - (pw[p + i] * zeroFraction * (depth - i)) / d1;
      } else {
        pw[p + i] = (pw[p + i] * d1) / (zeroFraction * (depth - i));
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
        const tmp = (next * d1) / ((i + 1) * oneFraction);
        total = total + tmp;
        next = pw[p + i] - tmp * zeroFraction * ((depth - i) / d1);
      } else if (zeroFraction !== 0) {
        total = total + pw[p + i] / zeroFraction / ((depth - i) / d1);
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
        const scale = w * (this.one[p + i] - this.zero[p + i]);
        const o = this.phiBase + this.feat[p + i] * this.stride;
        for (let k = 0; k < width; k++) this.phi[o + k] = this.phi[o + k] + scale * t.values[vBase + k];
      }
      return;
    }
    const right = t.right[node];
    const split = t.feature[node];
    const hot = t.goesLeft(node, this.x, this.at) ? left : right;
    const cold = hot === left ? right : left;
    const w = t.cover[node];
    const hotZero = t.cover[hot] / w;
    const coldZero = t.cover[cold] / w;
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
    this.zf = hotZero * inZero;
    this.of = inOne;
    this.visit(hot, d + 1, p, split);
    this.zf = coldZero * inZero;
    this.of = 0;
    this.visit(cold, d + 1, p, split);
  }
}
