/**
 * @module The leaves one row reaches in every tree of an ensemble of small trees, found feature by
 * feature instead of tree by tree (QuickScorer: Lucchese et al., "QuickScorer: a fast algorithm to
 * rank documents with additive ensembles of regression trees", SIGIR 2015). Each tree's leaves are
 * numbered left to right and held as the bits of one 32-bit word, all set. A split whose test fails
 * (the row goes right) rules out every leaf of its left subtree; the leaf the row reaches is the
 * leftmost one no failed test ruled out. Per feature, the splits are sorted by threshold, so the failed
 * tests of a value are the splits before the first threshold at or above it: a row costs one masking
 * per failed test, with no walk, no dependent chain of loads and no data-dependent branch but the end of
 * each feature's run. Exact: the same leaf as the walk, so sums over the trees are unchanged.
 *
 * Measured against the eight-trees-in-lock-step walk (`walkTreesOfRow`) for one row, in process: the
 * iris RandomForest-100 (348 failed tests a row) 0.95 against 2.2 µs; the breast-cancer
 * RandomForest-300 (2 766) 5.0 against 5.3 µs; but balanced depth-5 trees (every one of 32 leaves
 * behind five tests) 1.14–1.33× the walk's time. So callers weigh {@link quickWork}, a row's maskings,
 * against the walk's steps. Trees of more than 32 leaves are not taken.
 */

/** What {@link quickScorer} reads of a packed ensemble (the lock-step layout: `lockstep-walk.ts`). */
export interface PackedTrees {
  /** Each tree's root node. */
  readonly roots: Int32Array;
  /** Children side by side (`2n` left, `2n+1` right). */
  readonly kids: Int32Array;
  readonly isLeaf: Uint8Array;
  readonly feature: Int32Array;
  /** A row goes left when `x <= threshold`. */
  readonly threshold: Float64Array;
  /** 1 where a missing (NaN) value goes left; NaN goes right elsewhere. */
  readonly missingLeft?: Uint8Array;
}

/** An ensemble in QuickScorer's layout. */
export interface QuickScorer {
  readonly trees: number;
  /** Input columns. */
  readonly cols: number;
  /**
   * The splits of column `c` are `[start[c], start[c + 1] - 1)`, by ascending threshold; the last slot of
   * each column's run is a sentinel (threshold +∞, mask of no bit, tree 0) that ends the scan of any
   * value, so the scan's loop tests one condition.
   */
  readonly start: Int32Array;
  readonly threshold: Float64Array;
  /** The tree of each split. */
  readonly tree: Int32Array;
  /** Each split's tree word with the bits of its left subtree's leaves cleared. */
  readonly mask: Int32Array;
  /** 1 where a missing value fails the split's test (goes right). */
  readonly nanRight: Uint8Array;
  /** Tree `t`'s `j`-th leaf from the left is node `leaf[t * 32 + j]`. */
  readonly leaf: Int32Array;
  /** A row's expected work ({@link quickWork}). */
  readonly work: number;
}

/** Most leaves a tree may have: the bits of one word. */
export const QUICK_MAX_LEAVES = 32;

/**
 * The ensemble `p` of `cols` input columns in QuickScorer's layout, or undefined when it cannot take it
 * (a tree of more than {@link QUICK_MAX_LEAVES} leaves, a split on a column out of range or at a NaN
 * threshold, a node reached twice).
 */
export function quickScorer(p: PackedTrees, cols: number): QuickScorer | undefined {
  const trees = p.roots.length;
  const { kids, isLeaf, feature, threshold, missingLeft } = p;
  const n = isLeaf.length;
  const leaf = new Int32Array(trees * QUICK_MAX_LEAVES);
  // Each split's node, tree and mask, in tree order. Typed arrays throughout: this runs once, at load,
  // in code not yet optimised, where arrays of numbers and a sort's comparator cost tens of ms.
  const nodes = new Int32Array(n);
  const owner = new Int32Array(n);
  const masks = new Int32Array(n);
  let splits = 0;
  // An explicit depth-first walk, left before right: leaves numbered left to right; a split's left
  // subtree holds the leaves numbered from when it is entered to when its right subtree is. Entries:
  // a node to visit (≥ 0), or the end of split s's left subtree (-s - 1).
  const stack = new Int32Array(2 * n + 1);
  const seen = new Uint8Array(n);
  for (let t = 0; t < trees; t++) {
    let leaves = 0;
    let top = 0;
    stack[top++] = p.roots[t];
    while (top > 0) {
      const e = stack[--top];
      if (e < 0) {
        // The split's left subtree ends here: its leaves are [first, leaves).
        const s = -e - 1;
        const first = masks[s];
        const width = leaves - first;
        const bits = width === 32 ? -1 : ((1 << width) - 1) << first;
        masks[s] = ~bits;
        continue;
      }
      if (e >= n || seen[e] === 1) return undefined;
      seen[e] = 1;
      if (isLeaf[e] === 1) {
        if (leaves === QUICK_MAX_LEAVES) return undefined;
        leaf[t * QUICK_MAX_LEAVES + leaves++] = e;
        continue;
      }
      const f = feature[e];
      if (!(f >= 0 && f < cols) || Number.isNaN(threshold[e])) return undefined;
      nodes[splits] = e;
      owner[splits] = t;
      // Until the left subtree ends, the mask slot holds the number of its first leaf.
      masks[splits] = leaves;
      stack[top++] = kids[2 * e + 1];
      stack[top++] = -splits - 1;
      stack[top++] = kids[2 * e];
      splits++;
    }
  }
  // Every split, and one sentinel per column.
  const m = splits + cols;
  const q: { -readonly [K in keyof QuickScorer]: QuickScorer[K] } = {
    trees,
    cols,
    start: new Int32Array(cols + 1),
    threshold: new Float64Array(m).fill(Number.POSITIVE_INFINITY),
    tree: new Int32Array(m),
    mask: new Int32Array(m).fill(-1),
    nanRight: new Uint8Array(m),
    leaf,
    work: 0,
  };
  for (let s = 0; s < splits; s++) q.start[feature[nodes[s]] + 1]++;
  for (let c = 0; c < cols; c++) q.start[c + 1] += q.start[c] + 1;
  // Each column's thresholds sorted in place (a typed array's own numeric sort), then each split put in
  // the first free slot of its threshold's run (found by bisection): splits at equal thresholds in any order.
  const fill = q.start.slice(0, cols);
  for (let s = 0; s < splits; s++) q.threshold[fill[feature[nodes[s]]]++] = threshold[nodes[s]];
  for (let c = 0; c < cols; c++) q.threshold.subarray(q.start[c], q.start[c + 1] - 1).sort();
  const taken = new Uint8Array(m);
  for (let s = 0; s < splits; s++) {
    const node = nodes[s];
    const c = feature[node];
    const t = threshold[node];
    let lo = q.start[c];
    let hi = q.start[c + 1] - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q.threshold[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    while (taken[lo] === 1) lo++;
    taken[lo] = 1;
    q.tree[lo] = owner[s];
    q.mask[lo] = masks[s];
    q.nanRight[lo] = missingLeft?.[node] === 1 ? 0 : 1;
  }
  q.work = quickWork(q);
  return q;
}

/**
 * The leaf (a node of the packed ensemble) each tree sends row `at` of the row-major float64 matrix `x`
 * to, cast to float32 as scikit-learn casts its input, into `out`; `words` is scratch of one number per
 * tree. NaN goes where each split's `missingLeft` says.
 */
export function quickLeaves(
  q: QuickScorer,
  x: Float64Array,
  at: number,
  out: Int32Array,
  words: Int32Array,
): void {
  const { trees, cols, start, threshold, tree, mask, leaf } = q;
  // A row with a NaN takes its own function: the scan below stays one tight loop (0.67–0.75× the
  // time of one that also tested each value for NaN, measured on the breast-cancer RF-300).
  let nan = false;
  for (let c = 0; c < cols; c++) if (Number.isNaN(x[at + c])) nan = true;
  if (nan) wordsWithNaN(q, x, at, words);
  else {
    words.fill(-1, 0, trees);
    for (let c = 0; c < cols; c++) {
      const v = Math.fround(x[at + c]);
      // The failed tests: thresholds below the value (the column's sentinel stops the scan).
      for (let j = start[c]; threshold[j] < v; j++) words[tree[j]] &= mask[j];
    }
  }
  // Each tree's leaf: the lowest bit left in its word.
  for (let t = 0; t < trees; t++) {
    const w = words[t];
    out[t] = leaf[t * QUICK_MAX_LEAVES + 31 - Math.clz32(w & -w)];
  }
}

/** {@link quickLeaves}' words for a row holding a NaN: every split of its column the NaN fails is applied. */
function wordsWithNaN(q: QuickScorer, x: Float64Array, at: number, words: Int32Array): void {
  const { trees, cols, start, threshold, tree, mask, nanRight } = q;
  words.fill(-1, 0, trees);
  for (let c = 0; c < cols; c++) {
    const v = Math.fround(x[at + c]);
    const end = start[c + 1] - 1;
    if (Number.isNaN(v)) {
      for (let j = start[c]; j < end; j++) if (nanRight[j] === 1) words[tree[j]] &= mask[j];
    } else for (let j = start[c]; threshold[j] < v; j++) words[tree[j]] &= mask[j];
  }
}

/**
 * A row's work in QuickScorer, in maskings: its expected failed tests, plus two per tree (finding its
 * leaf in its word, and adding that leaf's values a row at a time where the walk adds eight rows' at
 * once) and one per column (its run). A value drawn among its column's own `n` thresholds fails
 * `(n - 1) / 2` of them on average, so a row fails about half of all splits: 3 066 for the breast-cancer
 * RF-300 (2 766 over its real rows), 389 for the iris RF-100 (348). No rows are counted: a formula of the
 * forest's shape, the same every time (see the callers' weights against the walk's steps).
 */
export function quickWork(q: QuickScorer): number {
  // Every split and a sentinel per column: the splits are the length less the columns.
  const failed = (q.threshold.length - 2 * q.cols) / 2;
  return failed + 2 * q.trees + q.cols;
}
