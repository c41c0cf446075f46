/**
 * @module scikit-learn's k-nearest selection, step for step: a bounded max-heap fed in training
 * order (`utils/_heap.pyx::heap_push`, which rejects a value equal to the current maximum), the
 * merge of per-thread heaps that `parallel_on_Y` performs, and the unstable sort of the result
 * (`utils/_sorting.pyx`: introsort from scikit-learn 1.6, the older median-of-three quicksort
 * before). Which of several equally distant points is kept, and their order, follow from these.
 */

/** Pushes `(val, idx)` into a max-heap of `size` slots at `o`, as scikit-learn's `heap_push`. */
export function heapPush(
  values: Float64Array,
  indices: Int32Array,
  o: number,
  size: number,
  val: number,
  idx: number,
): void {
  if (val >= values[o]) return;
  let cur = 0;
  for (;;) {
    const left = 2 * cur + 1;
    const right = left + 1;
    let swap: number;
    if (left >= size) break;
    if (right >= size) {
      if (values[o + left] > val) swap = left;
      else break;
    } else if (values[o + left] >= values[o + right]) {
      if (val < values[o + left]) swap = left;
      else break;
    } else if (val < values[o + right]) swap = right;
    else break;
    values[o + cur] = values[o + swap];
    indices[o + cur] = indices[o + swap];
    cur = swap;
  }
  values[o + cur] = val;
  indices[o + cur] = idx;
}

function swap(v: Float64Array, ix: Int32Array, i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
  const u = ix[i];
  ix[i] = ix[j];
  ix[j] = u;
}

/** The simultaneous sort of scikit-learn < 1.6: recursive quicksort, median of three, special cases ≤ 3. */
function quicksortLegacy(v: Float64Array, ix: Int32Array, o: number, size: number): void {
  if (size <= 1) return;
  if (size === 2) {
    if (v[o] > v[o + 1]) swap(v, ix, o, o + 1);
    return;
  }
  if (size === 3) {
    if (v[o] > v[o + 1]) swap(v, ix, o, o + 1);
    if (v[o + 1] > v[o + 2]) {
      swap(v, ix, o + 1, o + 2);
      if (v[o] > v[o + 1]) swap(v, ix, o, o + 1);
    }
    return;
  }
  let pivotIdx = Math.floor(size / 2);
  if (v[o] > v[o + size - 1]) swap(v, ix, o, o + size - 1);
  if (v[o + size - 1] > v[o + pivotIdx]) {
    swap(v, ix, o + size - 1, o + pivotIdx);
    if (v[o] > v[o + size - 1]) swap(v, ix, o, o + size - 1);
  }
  const pivot = v[o + size - 1];
  let store = 0;
  for (let i = 0; i < size - 1; i++) {
    if (v[o + i] < pivot) {
      swap(v, ix, o + i, o + store);
      store++;
    }
  }
  swap(v, ix, o + store, o + size - 1);
  pivotIdx = store;
  if (pivotIdx > 1) quicksortLegacy(v, ix, o, pivotIdx);
  if (pivotIdx + 2 < size) quicksortLegacy(v, ix, o + pivotIdx + 1, size - pivotIdx - 1);
}

function insertionSort(v: Float64Array, ix: Int32Array, o: number, n: number): void {
  for (let i = 1; i < n; i++) {
    const tv = v[o + i];
    const ti = ix[o + i];
    let j = i;
    while (j > 0 && v[o + j - 1] > tv) {
      v[o + j] = v[o + j - 1];
      ix[o + j] = ix[o + j - 1];
      j--;
    }
    v[o + j] = tv;
    ix[o + j] = ti;
  }
}

function siftDown(v: Float64Array, ix: Int32Array, o: number, start: number, end: number): void {
  let root = start;
  for (;;) {
    const child = root * 2 + 1;
    let maxind = root;
    if (child < end && v[o + maxind] < v[o + child]) maxind = child;
    if (child + 1 < end && v[o + maxind] < v[o + child + 1]) maxind = child + 1;
    if (maxind === root) return;
    swap(v, ix, o + root, o + maxind);
    root = maxind;
  }
}

function heapsort(v: Float64Array, ix: Int32Array, o: number, n: number): void {
  let start = Math.trunc((n - 2) / 2);
  for (;;) {
    siftDown(v, ix, o, start, n);
    if (start === 0) break;
    start--;
  }
  for (let end = n - 1; end > 0; end--) {
    swap(v, ix, o, o + end);
    siftDown(v, ix, o, 0, end);
  }
}

/** The introsort of scikit-learn ≥ 1.6 (two-way partition; insertion sort at 15 and below). */
function introsort(v: Float64Array, ix: Int32Array, o: number, n: number, maxd: number): void {
  while (n > 15) {
    if (maxd <= 0) {
      heapsort(v, ix, o, n);
      return;
    }
    maxd--;
    const mid = Math.floor(n / 2);
    if (v[o] > v[o + n - 1]) swap(v, ix, o, o + n - 1);
    if (v[o + n - 1] > v[o + mid]) {
      swap(v, ix, o + n - 1, o + mid);
      if (v[o] > v[o + n - 1]) swap(v, ix, o, o + n - 1);
    }
    const pivot = v[o + n - 1];
    let i = 1;
    let j = n - 2;
    for (;;) {
      while (i <= j && v[o + i] < pivot) i++;
      while (i <= j && v[o + j] > pivot) j--;
      if (i >= j) break;
      swap(v, ix, o + i, o + j);
      i++;
      j--;
    }
    swap(v, ix, o + i, o + n - 1);
    introsort(v, ix, o, i, maxd);
    o += i + 1;
    n -= i + 1;
  }
  insertionSort(v, ix, o, n);
}

/** Sorts `n` (value, index) pairs at `o` by value as the given scikit-learn version does. */
export function simultaneousSort(
  v: Float64Array,
  ix: Int32Array,
  o: number,
  n: number,
  introsortEra: boolean,
): void {
  if (n === 0) return;
  if (introsortEra) introsort(v, ix, o, n, 2 * Math.trunc(Math.log2(n)));
  else quicksortLegacy(v, ix, o, n);
}
