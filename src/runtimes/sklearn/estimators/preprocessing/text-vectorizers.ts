/**
 * @module Builders of CountVectorizer, TfidfTransformer and TfidfVectorizer with the default word analyzer:
 * lowercase, `strip_accents`, scikit-learn's default token pattern `(?u)\b\w\w+\b` (Python's Unicode `\w` is
 * letters, digits and `_`, written here with `\p{L}\p{N}_` lookarounds since JS `\w`/`\b` are ASCII-only),
 * stop words from `stop_words_`/a list, word n-grams as `_word_ngrams` builds them, counts over
 * `vocabulary_` (CSR, sorted columns), then tf-idf: `sublinear_tf`, `idf_`, l1/l2 row norms summed in
 * index order as scikit-learn's C loop does. Ref: sklearn `feature_extraction/text.py`.
 */

import { Errors } from "../../../../errors.ts";
import type { PyObject, PyValue } from "../../../../formats/pickle/py-objects.ts";
import type { FeatureSpec } from "../../../runtime.ts";
import { DataError } from "../../data.ts";
import type { BuildContext, SkData, SkEstimator, SparseData } from "../../estimator.ts";
import { attr, floats, isArray, isObject, need, num, stateOf, str } from "../../py-access.ts";
import { diagonalOf, sparseLayout } from "../../sparse.ts";
import { ENGLISH_STOP_WORDS } from "./english-stop-words.ts";

const DEFAULT_TOKEN_PATTERN = "(?u)\\b\\w\\w+\\b";
const TOKEN = /(?<![\p{L}\p{N}_])[\p{L}\p{N}_]{2,}(?![\p{L}\p{N}_])/gu;

/** Items of a Python list, tuple, set or frozenset. */
function itemsOf(v: PyValue | undefined): PyValue[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "object" && v !== null && "kind" in v) {
    if (v.kind === "tuple") return [...v.items];
    if (isArray(v) && Array.isArray(v.data)) return v.data as PyValue[];
    if (isObject(v)) {
      const first = v.args[0];
      if (Array.isArray(first)) return first;
      if (typeof first === "object" && first !== null && "kind" in first && first.kind === "tuple")
        return [...first.items];
    }
    if (v.kind === "set") return [...v.items];
  }
  return [];
}

/** Python's `str.isspace` characters (what `\s` matches in a Unicode `re` pattern and `str.split()` splits on). */
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WHITE_SPACES = new RegExp(`[${PY_SPACE}][${PY_SPACE}]+`, "g");
const SPLIT = new RegExp(`[${PY_SPACE}]+`);

/** `_char_ngrams`: character n-grams over the text with runs of whitespace collapsed to one space. */
function charNgrams(text: string, minN: number, maxN: number): string[] {
  const chars = Array.from(text.replace(WHITE_SPACES, " "));
  const out: string[] = [];
  let lo = minN;
  if (lo === 1) {
    out.push(...chars);
    lo = 2;
  }
  for (let n = lo; n < Math.min(maxN + 1, chars.length + 1); n++)
    for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(""));
  return out;
}

/** `_char_wb_ngrams`: character n-grams inside each space-padded word; a word shorter than n counts once. */
function charWbNgrams(text: string, minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const word of text.replace(WHITE_SPACES, " ").split(SPLIT)) {
    if (word === "") continue;
    const w = Array.from(` ${word} `);
    for (let n = minN; n <= maxN; n++) {
      let offset = 0;
      out.push(w.slice(offset, offset + n).join(""));
      while (offset + n < w.length) {
        offset++;
        out.push(w.slice(offset, offset + n).join(""));
      }
      if (offset === 0) break;
    }
  }
  return out;
}

/** The analyzer: preprocess, then word tokens (stop words dropped, word n-grams) or character n-grams. */
function wordAnalyzer(o: PyObject, ctx: BuildContext): (doc: string) => string[] {
  const rawAnalyzer = attr(o, "analyzer");
  // A callable analyzer pickles as a function reference, not a string: refused, never taken for "word".
  const analyzer = rawAnalyzer === undefined || rawAnalyzer === null ? "word" : str(rawAnalyzer);
  if (analyzer !== "word" && analyzer !== "char" && analyzer !== "char_wb")
    throw Errors.unsupportedModel(
      ctx.file,
      `${o.name} with analyzer=${analyzer === undefined ? "a callable" : analyzer}`,
    );
  for (const key of ["tokenizer", "preprocessor"]) {
    const v = attr(o, key);
    if (v !== undefined && v !== null)
      throw Errors.unsupportedModel(ctx.file, `${o.name} with a custom ${key}`);
  }
  const strip = str(attr(o, "strip_accents"));
  if (strip !== undefined && strip !== "ascii" && strip !== "unicode")
    throw Errors.unsupportedModel(ctx.file, `${o.name} with strip_accents=${strip}`);
  const lowercase = attr(o, "lowercase") !== false;
  const range = itemsOf(need(o, "ngram_range")).map((v) => num(v, `${o.name}.ngram_range`));
  const [minN, maxN] = range.length === 2 ? range : [1, 1];
  const preprocess = (doc: string): string => {
    let d = lowercase ? doc.toLowerCase() : doc;
    if (strip === "unicode") d = d.normalize("NFKD").replace(/\p{Mn}/gu, "");
    // 'ascii': NFKD then drop every non-ASCII code point, as .encode("ASCII", "ignore") does.
    else if (strip === "ascii") d = d.normalize("NFKD").replace(/[\u0080-\u{10ffff}]/gu, "");
    return d;
  };
  // Character analyzers ignore token_pattern and stop words, as scikit-learn does.
  if (analyzer === "char") return (doc) => charNgrams(preprocess(doc), minN, maxN);
  if (analyzer === "char_wb") return (doc) => charWbNgrams(preprocess(doc), minN, maxN);
  const pattern = str(attr(o, "token_pattern")) ?? DEFAULT_TOKEN_PATTERN;
  if (pattern !== DEFAULT_TOKEN_PATTERN && pattern !== "\\b\\w\\w+\\b")
    throw Errors.unsupportedModel(ctx.file, `${o.name} with token_pattern=${pattern}`);
  const sw = attr(o, "stop_words");
  if (str(sw) !== undefined && str(sw) !== "english")
    throw Errors.unsupportedModel(ctx.file, `${o.name} with stop_words=${str(sw)}`);
  const stop = str(sw) === "english" ? ENGLISH_STOP_WORDS : new Set(itemsOf(sw).map((w) => String(w)));
  return (doc) => {
    let tokens: string[] = preprocess(doc).match(TOKEN) ?? [];
    if (stop.size > 0) tokens = tokens.filter((t) => !stop.has(t));
    if (maxN === 1) return tokens;
    const out = minN === 1 ? [...tokens] : [];
    for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
      for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
    }
    return out;
  };
}

/** The documents of a one-column input (the `text` feature). */
function documents(x: SkData): readonly (string | null)[] {
  if (x.kind !== "frame" || x.columns.length !== 1 || x.columns[0].values instanceof Float64Array)
    throw new DataError("a text vectorizer needs one string column");
  return x.columns[0].values as readonly (string | null)[];
}

/** `vocabulary_` as a Map term → column. */
function vocabularyOf(o: PyObject): Map<string, number> {
  const v = need(o, "vocabulary_");
  if (typeof v !== "object" || v === null || !("kind" in v) || v.kind !== "dict")
    throw Errors.invalidModel(o.name, `${o.name}.vocabulary_ is not a dict`);
  const out = new Map<string, number>();
  for (const [k, i] of v.map) out.set(String(k), num(i, `${o.name}.vocabulary_`));
  return out;
}

/** Counting over the vocabulary; rows are CSR with sorted column indices. */
function counter(o: PyObject, ctx: BuildContext): (x: SkData) => SparseData {
  const analyze = wordAnalyzer(o, ctx);
  const vocab = vocabularyOf(o);
  const binary = attr(o, "binary") === true;
  const cols = vocab.size;
  return (x) => {
    const docs = documents(x);
    const indptr = new Int32Array(docs.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const counts = new Map<number, number>();
    docs.forEach((doc, r) => {
      counts.clear();
      for (const t of analyze(doc ?? "")) {
        const j = vocab.get(t);
        if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      const keys = [...counts.keys()].sort((a, b) => a - b);
      for (const j of keys) {
        idx.push(j);
        val.push(binary ? 1 : counts.get(j)!);
      }
      indptr[r + 1] = idx.length;
    });
    return {
      kind: "csr",
      rows: docs.length,
      cols,
      indptr,
      indices: Int32Array.from(idx),
      data: Float64Array.from(val),
    };
  };
}

/** The tf-idf step of a TfidfTransformer (its own object, or TfidfVectorizer's `_tfidf`). */
function tfidfStep(o: PyObject, ctx: BuildContext): (m: SparseData) => SparseData {
  const norm = str(attr(o, "norm"));
  if (norm !== undefined && norm !== "l1" && norm !== "l2")
    throw Errors.unsupportedModel(ctx.file, `${o.name} with norm=${norm}`);
  const sublinear = attr(o, "sublinear_tf") === true;
  let idf: Float64Array | undefined;
  if (attr(o, "use_idf") !== false) {
    const stored = attr(o, "idf_");
    // Before scikit-learn 1.5 the idf lives on the diagonal of a scipy sparse matrix, `_idf_diag`.
    const diag = attr(o, "_idf_diag");
    if (stored !== undefined) idf = floats(stored, `${o.name}.idf_`).data;
    else if (sparseLayout(diag) !== undefined) idf = diagonalOf(diag, `${o.name}._idf_diag`);
    else throw Errors.invalidModel(ctx.file, `${o.name} is not fitted (neither idf_ nor _idf_diag)`);
  }
  return (m) => {
    if (idf && m.cols !== idf.length)
      throw new DataError(`${o.name} expects ${idf.length} columns, got ${m.cols}`);
    const data = Float64Array.from(m.data);
    for (let r = 0; r < m.rows; r++) {
      const a = m.indptr[r];
      const b = m.indptr[r + 1];
      for (let k = a; k < b; k++) {
        if (sublinear) data[k] = Math.log(data[k]) + 1;
        if (idf) data[k] *= idf[m.indices[k]];
      }
      if (norm) {
        let s = 0;
        for (let k = a; k < b; k++) s += norm === "l2" ? data[k] * data[k] : Math.abs(data[k]);
        if (s !== 0) {
          const n = norm === "l2" ? Math.sqrt(s) : s;
          for (let k = a; k < b; k++) data[k] /= n;
        }
      }
    }
    return { ...m, data };
  };
}

const textSpec = (): FeatureSpec[] => [{ name: "text", dtype: "string", nullable: false }];

/** CountVectorizer (word analyzer). */
export function countVectorizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const count = counter(o, ctx);
  return { className: o.name, role: "transformer", nFeaturesIn: 1, inputSpecs: textSpec, transform: count };
}

/** TfidfVectorizer (word analyzer), its idf read from the nested `_tfidf`. */
export function tfidfVectorizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const count = counter(o, ctx);
  const inner = need(o, "_tfidf");
  if (!isObject(inner))
    throw Errors.invalidModel(ctx.file, "TfidfVectorizer._tfidf is not a TfidfTransformer");
  // The vectorizer's own options win: they are what scikit-learn copies onto _tfidf at fit time.
  const merged: PyObject = {
    ...inner,
    state: {
      kind: "dict",
      map: new Map([
        ...stateOf(inner),
        ...["norm", "use_idf", "sublinear_tf"]
          .filter((k) => attr(o, k) !== undefined)
          .map((k) => [k, attr(o, k)!] as const),
      ]),
      otherEntries: [],
    },
  };
  const tfidf = tfidfStep(merged, ctx);
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: 1,
    inputSpecs: textSpec,
    transform: (x) => tfidf(count(x)),
  };
}

/** TfidfTransformer over a count matrix. */
export function tfidfTransformer(o: PyObject, ctx: BuildContext): SkEstimator {
  const tfidf = tfidfStep(o, ctx);
  const n = attr(o, "n_features_in_");
  return {
    className: o.name,
    role: "transformer",
    nFeaturesIn: n === undefined ? undefined : num(n, "TfidfTransformer.n_features_in_"),
    transform(x) {
      if (x.kind === "csr") return tfidf(x);
      throw new DataError("TfidfTransformer needs a count matrix");
    },
  };
}

/** MurmurHash3 x86 32-bit of UTF-8 bytes, as a signed int32 (scikit-learn's `murmurhash3_bytes_s32`). */
function murmurhash3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem >= 3) k ^= bytes[blocks + 2] << 16;
    if (rem >= 2) k ^= bytes[blocks + 1] << 8;
    k ^= bytes[blocks];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * HashingVectorizer: the analyzer's tokens hashed (MurmurHash3, seed 0) to `abs(h) % n_features` with sign
 * `h ≥ 0 ? +1 : −1` when `alternate_sign`, duplicates summed, then `binary` and the l1/l2 row norm.
 */
export function hashingVectorizer(o: PyObject, ctx: BuildContext): SkEstimator {
  const analyze = wordAnalyzer(o, ctx);
  const nFeatures = num(need(o, "n_features"), "HashingVectorizer.n_features");
  const alternate = attr(o, "alternate_sign") !== false;
  const binary = attr(o, "binary") === true;
  const norm = str(attr(o, "norm"));
  if (norm !== undefined && norm !== "l1" && norm !== "l2")
    throw Errors.unsupportedModel(ctx.file, `HashingVectorizer with norm=${norm}`);
  const dtype = attr(o, "dtype");
  if (
    typeof dtype === "object" &&
    dtype !== null &&
    "kind" in dtype &&
    dtype.kind === "global" &&
    dtype.name !== "float64"
  )
    throw Errors.unsupportedModel(ctx.file, `HashingVectorizer with dtype=${dtype.name}`);
  const utf8 = new TextEncoder();
  const index = new Map<string, [number, number]>();
  const hashOf = (t: string): [number, number] => {
    let v = index.get(t);
    if (!v) {
      const h = murmurhash3(utf8.encode(t));
      const j = h === -2147483648 ? (2147483647 - (nFeatures - 1)) % nFeatures : Math.abs(h) % nFeatures;
      v = [j, alternate && h < 0 ? -1 : 1];
      if (index.size < 100_000) index.set(t, v);
    }
    return v;
  };
  const transform = (x: SkData): SparseData => {
    const docs = documents(x);
    const indptr = new Int32Array(docs.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const acc = new Map<number, number>();
    docs.forEach((doc, r) => {
      acc.clear();
      for (const t of analyze(doc ?? "")) {
        const [j, s] = hashOf(t);
        acc.set(j, (acc.get(j) ?? 0) + s);
      }
      // sum_duplicates keeps explicit zeros (+1 − 1) as stored entries; they change no norm.
      const keys = [...acc.keys()].sort((a, b) => a - b);
      const start = idx.length;
      for (const j of keys) {
        idx.push(j);
        val.push(binary ? 1 : acc.get(j)!);
      }
      if (norm) {
        let s = 0;
        for (let p = start; p < val.length; p++) s += norm === "l2" ? val[p] * val[p] : Math.abs(val[p]);
        if (s !== 0) {
          const d = norm === "l2" ? Math.sqrt(s) : s;
          for (let p = start; p < val.length; p++) val[p] /= d;
        }
      }
      indptr[r + 1] = idx.length;
    });
    return {
      kind: "csr",
      rows: docs.length,
      cols: nFeatures,
      indptr,
      indices: Int32Array.from(idx),
      data: Float64Array.from(val),
    };
  };
  return { className: o.name, role: "transformer", nFeaturesIn: 1, inputSpecs: textSpec, transform };
}
