/**
 * @module The few-rows path of scikit-learn tree ensembles: the ensemble packed once (`packForest`) and
 * each row's leaves found feature by feature (`common/quick-scorer.ts`) when every tree has at most 32
 * leaves, else walked through eight trees at a time in lock step (`packedLeaves`). Both layouts are
 * prepared by the loader worker when it can.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import { type QuickScorer, quickLeaves, quickScorer } from "../../../common/quick-scorer.ts";
import { isArrayOf, isRecord, prepared } from "../../layouts.ts";
import { type CompiledTree, fitsPacked, type PackedForest, packedLeaves, packForest } from "./tree.ts";

/** Cheap check of a prepared QuickScorer layout of `trees` trees over `cols` columns. */
function fitsQuick(v: unknown, trees: number, cols: number): v is QuickScorer {
  if (!isRecord(v) || v.trees !== trees || v.cols !== cols) return false;
  const m = (v.threshold as Float64Array | undefined)?.length;
  return (
    isArrayOf(v.start, Int32Array, cols + 1) &&
    v.start[cols] === m &&
    isArrayOf(v.threshold, Float64Array) &&
    isArrayOf(v.tree, Int32Array, m) &&
    isArrayOf(v.mask, Int32Array, m) &&
    isArrayOf(v.nanRight, Uint8Array, m) &&
    isArrayOf(v.leaf, Int32Array, trees * 32) &&
    typeof v.work === "number" &&
    v.tree.every((t) => t >= 0 && t < trees)
  );
}

/** Finds one row's leaf in every tree of a packed ensemble. */
export interface RowLeafFinder {
  /** Writes each tree's leaf (a node of the packing) for the row at `at` of a row-major float64 matrix. */
  readonly find: (x: Float64Array, at: number, cols: number, out: Int32Array) => void;
  /** The ensemble in QuickScorer's layout, when its trees fit it (whether or not `find` uses it). */
  readonly quick: QuickScorer | null;
}

/**
 * What one step of the lock-step walk of one row (eight trees at a time) costs in QuickScorer's maskings,
 * for choosing between them (measured per row, single rows and batches of 16, against the walk: the iris
 * RandomForest-100 0.56–0.66×, work 593 against 543 steps; a breast-cancer RandomForest-300 0.71–0.86×,
 * 3 696 against 2 263; ExtraTrees of 32 leaves 0.74–0.81×, 3 510 against 2 369; depth-3 forests
 * 0.85–1.05×, 560 against 300; depth-5 forests 1.14–1.33×, 3 416 against 1 000, so they keep the walk).
 */
export const ROW_STEP_WORK = 1.9;

/** Steps of the walk of one row through every tree: the sum of the trees' depths. */
export function walkSteps(packed: PackedForest): number {
  let steps = 0;
  for (let t = 0; t < packed.trees; t++) steps += packed.depth[t];
  return steps;
}

/**
 * How single rows of a packed ensemble find their leaves: feature by feature (QuickScorer) when every
 * tree fits it and its work is below the walk's ({@link ROW_STEP_WORK}), else by the walk of eight trees
 * in lock step. Both find the same leaves. `name` keys the layout among the object's prepared ones (the
 * loader worker makes it).
 */
export function rowLeafFinder(
  o: PyObject,
  name: string,
  packed: PackedForest,
  nFeatures: number,
): RowLeafFinder {
  const quick = prepared(
    o,
    `${name}/quick`,
    () => quickScorer(packed, nFeatures) ?? null,
    (v): v is QuickScorer | null => v === null || fitsQuick(v, packed.trees, nFeatures),
  );
  const scratch = new Float64Array(nFeatures);
  const walk = (x: Float64Array, at: number, cols: number, out: Int32Array) =>
    packedLeaves(packed, x, at, cols, out, cols <= scratch.length ? scratch : new Float64Array(cols));
  if (quick === null || !(quick.work < ROW_STEP_WORK * walkSteps(packed))) return { find: walk, quick };
  return { find: quickFinder(quick), quick };
}

/** A row's leaves found feature by feature in `quick` (a `RowLeafFinder`'s `find`, with its own scratch). */
export function quickFinder(quick: QuickScorer): RowLeafFinder["find"] {
  const words = new Int32Array(quick.trees);
  return (x, at, _cols, out) => quickLeaves(quick, x, at, out, words);
}

/**
 * Returns a function giving each tree's own leaf (a node index within that tree) for the row at `at`
 * of a row-major float64 matrix of `cols` columns. `name` keys the packing among the object's prepared
 * layouts. The returned array is reused by the next call.
 */
export function rowLeavesOf(
  o: PyObject,
  name: string,
  trees: readonly CompiledTree[],
  nFeatures: number,
): (x: Float64Array, at: number, cols: number) => Int32Array {
  const packed = prepared(
    o,
    name,
    () => packForest(trees),
    (v) => fitsPacked(v, trees),
  );
  const { find } = rowLeafFinder(o, name, packed, nFeatures);
  const leaves = new Int32Array(trees.length);
  return (x, at, cols) => {
    find(x, at, cols, leaves);
    for (let t = 0; t < leaves.length; t++) leaves[t] -= packed.offsets[t];
    return leaves;
  };
}
