/**
 * @module The few-rows path of scikit-learn tree ensembles: the ensemble packed once (`packForest`) and
 * each row's leaves found feature by feature (`common/quick-scorer.ts`) when every tree has at most 32
 * leaves, else walked through eight trees at a time in lock step (`packedLeaves`). Both layouts are
 * prepared by the loader worker when it can.
 */

import type { PyObject } from "../../../../formats/pickle/py-objects.ts";
import {
  type QuickScorer,
  quickLeaves,
  quickScorer,
  rowsAtSplits,
  runsFaster,
} from "../../../common/quick-scorer.ts";
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

/** Rows timed when choosing how single rows find their leaves. */
const TIMED_ROWS = 32;

/**
 * How single rows of a packed ensemble find their leaves: feature by feature (QuickScorer) when every
 * tree fits it and it found the leaves of rows at the ensemble's own splits faster than the walk of
 * eight trees in lock step (skinny trees: iris and breast-cancer forests, 0.62× and 0.81× the walk's
 * time; balanced trees of 32 leaves: 1.14–1.33×, so they keep the walk), else by that walk. `name`
 * keys the layouts and the choice among the object's prepared ones (the loader worker makes both).
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
  if (quick === null) return { find: walk, quick };
  const words = new Int32Array(packed.trees);
  const byFeature = (x: Float64Array, at: number, _cols: number, out: Int32Array) =>
    quickLeaves(quick, x, at, out, words);
  const pays = prepared(
    o,
    `${name}/quick-rows`,
    () => {
      const rows = rowsAtSplits(quick, TIMED_ROWS);
      const out = new Int32Array(packed.trees);
      const each = (find: typeof walk) => () => {
        for (let r = 0; r < TIMED_ROWS; r++) find(rows, r * nFeatures, nFeatures, out);
      };
      return runsFaster(each(byFeature), each(walk));
    },
    (v): v is boolean => typeof v === "boolean",
  );
  return { find: pays ? byFeature : walk, quick };
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
