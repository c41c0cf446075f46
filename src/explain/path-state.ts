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
  /** Zero and one fractions handed to the next {@link PathState.visit}. */
  zf = 1;
  of = 1;

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

  /** The recursion at `node`; `parent` is where the parent's path starts, `depth` the new path length − 1. */
  abstract visit(node: number, depth: number, parent: number, feature: number): void;
}
