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
    this.shiftOut(p, depth, index);
  }

  /** The total permutation weight in float64 if element `index` were unwound (the path unchanged). */
  unwoundSum(p: number, depth: number, index: number): number {
    let total = 0;
    const { pw } = this;
    const oneFraction = this.one[p + index];
    const zeroFraction = this.zero[p + index];
    let next = pw[p + depth];
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

  /** At a leaf: adds each path feature's share of the leaf's values to its contributions. */
  leaf(node: number, p: number, depth: number): void {
    const t = this.tree;
    const width = t.width;
    const vBase = node * width;
    for (let i = 1; i <= depth; i++) {
      const scale = this.unwoundSum(p, depth, i) * (this.one[p + i] - this.zero[p + i]);
      const o = this.phiBase + this.feat[p + i] * this.stride;
      for (let k = 0; k < width; k++) this.phi[o + k] = this.phi[o + k] + scale * t.values[vBase + k];
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
    this.zf = (t.cover[hot] / w) * inZero;
    this.of = inOne;
    this.visit(hot, next, p, split);
    this.zf = (t.cover[cold] / w) * inZero;
    this.of = 0;
    this.visit(cold, next, p, split);
  }
}
