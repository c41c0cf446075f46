/**
 * @module What the two TreeSHAP recursions ({@link Walker32}, {@link Walker64}) share outside their
 * arithmetic: the path arrays, the tree and row being explained, where contributions go, and the start
 * from the root. The arithmetic stays in each subclass — each class keeps its own object shape and
 * methods, so the hot recursion stays monomorphic whichever precisions run in the process.
 */

import type { PathWalker, ShapTree } from "./tree-shap.ts";

/** The path state of one tree walk: flat arrays, one slot per (depth, position). */
export abstract class PathState implements PathWalker {
  readonly feat: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly pw: Float64Array;
  tree!: ShapTree;
  x!: Float64Array;
  at = 0;
  phi!: Float64Array;
  /** Where output column 0 of feature 0 sits in `phi`, and how many outputs each feature holds. */
  phiBase = 0;
  stride = 1;
  /**
   * Zero and one fractions handed to the next {@link PathState.visit}: fields, not arguments, because a
   * double argument of a call that is not inlined (the recursion) would be boxed on every node.
   */
  zf = 1;
  of = 1;
  /**
   * What {@link PathState.branch} found at an inner node: the child the row goes to (`hot`) and the
   * other one, the fractions the split feature already had on the path (1 when it had none), and the
   * path length − 1 after removing it.
   */
  hot = 0;
  cold = 0;
  inZero = 1;
  inOne = 1;
  next = 0;

  /** Room for the paths of trees up to `maxDepth` deep (each level copies its parent's path). */
  constructor(maxDepth: number) {
    const d = maxDepth + 2;
    const size = (d * (d + 1)) / 2 + d;
    this.feat = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.pw = new Float64Array(size);
  }

  /** Explains the current tree from its root. */
  root(): void {
    this.zf = 1;
    this.of = 1;
    this.visit(0, 0, 0, -1);
  }

  /** Copies the path of `depth + 1` elements starting at `from` to `to` (each level extends a copy). */
  copyPath(from: number, to: number, depth: number): void {
    for (let i = 0; i <= depth; i++) {
      this.feat[to + i] = this.feat[from + i];
      this.zero[to + i] = this.zero[from + i];
      this.one[to + i] = this.one[from + i];
      this.pw[to + i] = this.pw[from + i];
    }
  }

  /** Shifts the path elements after `index` down by one (the bookkeeping half of UNWIND). */
  shiftOut(p: number, depth: number, index: number): void {
    for (let i = index; i < depth; i++) {
      this.feat[p + i] = this.feat[p + i + 1];
      this.zero[p + i] = this.zero[p + i + 1];
      this.one[p + i] = this.one[p + i + 1];
    }
  }

  /**
   * At inner node `node` of the path at `p`: picks the hot and cold children for the row, and unwinds
   * the split feature if the path already holds it (a feature counts once per path). Results in
   * {@link PathState.hot} and its siblings.
   */
  branch(node: number, p: number, depth: number): void {
    const t = this.tree;
    const left = t.left[node];
    const right = t.right[node];
    this.hot = t.goesLeft(node, this.x, this.at) ? left : right;
    this.cold = this.hot === left ? right : left;
    const split = t.feature[node];
    let index = 0;
    for (; index <= depth; index++) if (this.feat[p + index] === split) break;
    this.inZero = 1;
    this.inOne = 1;
    this.next = depth + 1;
    if (index !== depth + 1) {
      this.inZero = this.zero[p + index];
      this.inOne = this.one[p + index];
      this.unwind(p, depth, index);
      this.next = depth;
    }
  }

  /** UNWIND in the subclass's precision: removes path element `index` (then {@link PathState.shiftOut}). */
  abstract unwind(p: number, depth: number, index: number): void;

  /** The recursion at `node`; `parent` is where the parent's path starts, `depth` the new path length − 1. */
  abstract visit(node: number, depth: number, parent: number, feature: number): void;
}
