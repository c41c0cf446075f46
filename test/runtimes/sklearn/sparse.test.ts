/** @module Tests of scipy.sparse matrices read from pickles made by scipy itself (two scipy versions). */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isAllowed } from "../../../src/runtimes/sklearn/allow-list.ts";
import { dense } from "../../../src/runtimes/sklearn/data.ts";
import { readPickle } from "../../../src/runtimes/sklearn/parse-pickle.ts";
import { diagonalOf, sparseLayout, sparseOf } from "../../../src/runtimes/sklearn/sparse.ts";

const root = fileURLToPath(new URL("../../fixtures/scipy-sparse/", import.meta.url));
const versions = readdirSync(root);

describe("scipy.sparse in pickles", () => {
  it("has fixtures from two scipy versions", () => assert.ok(versions.length >= 2, versions.join(",")));

  for (const v of versions) {
    const expected = JSON.parse(readFileSync(join(root, v, "expected.json"), "utf8")) as Record<
      string,
      number[][]
    >;
    for (const [name, want] of Object.entries(expected)) {
      it(`reads ${name} (scipy ${v}) as scipy densifies it`, async () => {
        const value = await readPickle(readFileSync(join(root, v, `${name}.pkl`)), `${name}.pkl`);
        assert.ok(sparseLayout(value), "recognised as a sparse matrix");
        const m = sparseOf(value, name);
        // CSR with sorted, unique column indices per row.
        for (let r = 0; r < m.rows; r++)
          for (let k = m.indptr[r] + 1; k < m.indptr[r + 1]; k++) assert.ok(m.indices[k] > m.indices[k - 1]);
        const d = dense(m);
        assert.equal(d.rows, want.length);
        assert.equal(d.cols, want[0].length);
        assert.deepEqual(
          Array.from(d.data),
          want.flat().map((x) => x + 0),
        );
        if (name === "idf-diag") assert.deepEqual(Array.from(diagonalOf(value, name)), [1, 2.5, 1.25, 3]);
      });
    }
  }

  it("allow-lists the sparse classes, pandas Index and the inert names of newer pickles, nothing more", () => {
    for (const q of [
      "scipy.sparse._csr.csr_matrix",
      "scipy.sparse.csr.csr_matrix",
      "scipy.sparse._csc.csc_matrix",
      "scipy.sparse.dia.dia_matrix",
      "scipy.sparse._csr.csr_array",
      "pandas.core.indexes.base._new_Index",
      "numpy.random.bit_generator.SeedSequence",
      "_loss.CyHalfBinomialLoss",
      "_loss.__pyx_unpickle_CyHalfBinomialLoss",
      "sklearn.compose._column_transformer._RemainderColsList",
      "numpy.expm1",
      "numpy.core.multiarray.log1p",
    ])
      assert.ok(isAllowed(q), q);
    for (const q of [
      "scipy.sparse._coo.coo_matrix",
      "scipy.sparse.load_npz",
      "pandas.read_csv",
      "_loss.system",
      "numpy.load",
      "numpy.core.multiarray.frompyfunc",
    ])
      assert.equal(isAllowed(q), false, q);
  });
});
