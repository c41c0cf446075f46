/**
 * @module scipy.sparse matrices met inside scikit-learn pickles (TfidfTransformer's `_idf_diag` before
 * scikit-learn 1.5, fitted attributes kept sparse), read as inert data: CSR, CSC and DIA layouts, from
 * their pickled `__dict__` (`_shape`, `indptr`/`indices`/`data` or `data`/`offsets`).
 */

import type { PyValue } from "../../formats/pickle/py-objects.ts";
import type { SparseData } from "./estimator.ts";
import { AttributeError, attr, floats, isObject } from "./py-access.ts";

/** The scipy class names (matrix and array flavours) and module spellings across scipy versions. */
const LAYOUTS = ["csr", "csc", "dia"] as const;
type Layout = (typeof LAYOUTS)[number];

/** The qualified names of the sparse classes modelserve reads, for the allow-list. */
export const SCIPY_SPARSE_NAMES: readonly string[] = LAYOUTS.flatMap((l) => [
  `scipy.sparse.${l}.${l}_matrix`,
  `scipy.sparse._${l}.${l}_matrix`,
  `scipy.sparse._${l}.${l}_array`,
  `scipy.sparse._arrays.${l}_array`,
]);

/** The layout of a scipy sparse matrix object, or undefined when the value is not one. */
export function sparseLayout(v: PyValue | undefined): Layout | undefined {
  if (!isObject(v) || !v.module.startsWith("scipy.sparse")) return undefined;
  const m = /^(csr|csc|dia)_(matrix|array)$/.exec(v.name);
  return m ? (m[1] as Layout) : undefined;
}

function shapeOf(v: PyValue, what: string): [number, number] {
  if (!isObject(v)) throw new AttributeError(`${what} is not a sparse matrix`);
  const s = attr(v, "_shape") ?? attr(v, "shape");
  const items =
    typeof s === "object" && s !== null && "kind" in s && s.kind === "tuple" ? s.items : undefined;
  if (items?.length !== 2) throw new AttributeError(`${what} has no 2-d shape`);
  const [r, c] = items.map(Number);
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0)
    throw new AttributeError(`${what} has an invalid shape`);
  return [r, c];
}

function ints(v: PyValue | undefined, what: string): Int32Array {
  const d = floats(v, what).data;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isInteger(d[i]) || d[i] < 0) throw new AttributeError(`${what} holds an invalid index`);
    out[i] = d[i];
  }
  return out;
}

/** A scipy CSR, CSC or DIA matrix as CSR with sorted column indices (duplicates summed in order). */
export function sparseOf(v: PyValue | undefined, what: string): SparseData {
  const layout = sparseLayout(v);
  if (!layout || !isObject(v)) throw new AttributeError(`${what} is not a scipy sparse matrix`);
  const [rows, cols] = shapeOf(v, what);
  const triples: [number, number, number][] = [];
  if (layout === "dia") {
    const offsets = floats(attr(v, "offsets"), `${what}.offsets`).data;
    const data = floats(attr(v, "data"), `${what}.data`);
    const width = data.shape.length === 2 ? data.shape[1] : 0;
    if (data.shape.length !== 2 || data.shape[0] !== offsets.length)
      throw new AttributeError(`${what}.data does not match its offsets`);
    // scipy: data[k, j] is element (j - offsets[k], j), for columns j < min(width, cols).
    offsets.forEach((off, k) => {
      for (let j = 0; j < Math.min(width, cols); j++) {
        const r = j - off;
        if (r >= 0 && r < rows) triples.push([r, j, data.data[k * width + j]]);
      }
    });
  } else {
    const indptr = ints(attr(v, "indptr"), `${what}.indptr`);
    const indices = ints(attr(v, "indices"), `${what}.indices`);
    const data = floats(attr(v, "data"), `${what}.data`).data;
    const major = layout === "csr" ? rows : cols;
    const minor = layout === "csr" ? cols : rows;
    if (indptr.length !== major + 1 || indptr[major] > indices.length || indices.length !== data.length)
      throw new AttributeError(`${what} has inconsistent index arrays`);
    for (let a = 0; a < major; a++) {
      if (indptr[a] > indptr[a + 1]) throw new AttributeError(`${what}.indptr is not increasing`);
      for (let k = indptr[a]; k < indptr[a + 1]; k++) {
        if (indices[k] >= minor) throw new AttributeError(`${what} has an index out of range`);
        triples.push(layout === "csr" ? [a, indices[k], data[k]] : [indices[k], a, data[k]]);
      }
    }
  }
  triples.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const indptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  let lastR = -1;
  let lastC = -1;
  for (const [r, c, x] of triples) {
    // Duplicate entries (legal in unsorted CSR) add up, as scipy's sum_duplicates does.
    if (r === lastR && c === lastC) val[val.length - 1] += x;
    else {
      idx.push(c);
      val.push(x);
      indptr[r + 1]++;
    }
    lastR = r;
    lastC = c;
  }
  for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
  return { kind: "csr", rows, cols, indptr, indices: Int32Array.from(idx), data: Float64Array.from(val) };
}

/** The main diagonal of a square scipy sparse matrix (zeros where nothing is stored). */
export function diagonalOf(v: PyValue | undefined, what: string): Float64Array {
  const m = sparseOf(v, what);
  const n = Math.min(m.rows, m.cols);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++)
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) if (m.indices[k] === r) out[r] += m.data[k];
  return out;
}
