/**
 * @module A booster's trees turned into JavaScript: each tree one nested conditional expression whose
 * leaves are its float32 contributions, added to the row's float32 sums in the model's tree order. V8
 * compiles these into machine code with the thresholds as immediates: no node arrays to read, no loop
 * per level. On the bench's iris classifier (300 trees of 0–4 levels) a 1000-row batch took 0.43–0.48×
 * the time of the lock-step walk and a single row 0.33–0.54×; on a breast-cancer booster (300 trees,
 * mostly stumps on 30 columns) single rows took 0.6–0.7× but batches 1.7×, the walk's branch-free steps
 * beating branches the processor cannot predict. That depends on the rows and on the call's size, so
 * calls of each size race the two (`call-race.ts`, model.ts).
 *
 * Safety: the source is written from numbers only — integer feature indices already checked against
 * the model's width, float32 thresholds and contributions printed by `Number.prototype.toString`
 * (digits, sign, point, exponent; `Infinity` and `NaN` by name) — never from a string of the model's.
 * Where the process forbids code generation from strings (`--disallow-code-generation-from-strings`),
 * `compileSums` returns undefined and the walk serves everything.
 *
 * Bounds: at most {@link COMPILE_MAX_NODES} nodes in all (V8's compiler holds on to tens of MB for
 * large generated functions: ~2 kB of resident memory per node measured on a 100 000-node booster) and
 * trees at most {@link COMPILE_MAX_DEPTH} levels deep; functions of about {@link CHUNK_NODES} nodes (one
 * 1 280-node function raised the resident size by 46 MB once optimized, 250-node ones by 18 MB in all,
 * at the same speed).
 */

/** Adds rows `[from, to)` of the trees of one chunk to `acc` (rows × groups float32 sums). */
export type SumChunk = (x: Float32Array, from: number, to: number, acc: Float32Array) => void;

/** The most nodes (leaves included) compiled; a larger booster keeps its walks. */
export const COMPILE_MAX_NODES = 8192;
/** The deepest tree compiled (its expression nests this deep). */
export const COMPILE_MAX_DEPTH = 40;
/** About how many nodes one generated function holds. */
export const CHUNK_NODES = 256;

/** The arrays of a tree booster that the generated code is written from (model.ts's `TreeArrays`). */
export interface SumTrees {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  /** Float32 thresholds: a row goes left when `x < cond`. */
  readonly cond: Float64Array;
  readonly defaultLeft: Uint8Array;
  readonly roots: Int32Array;
  readonly group: Int32Array;
  /** Each leaf's float32 contribution. */
  readonly contrib32: Float32Array;
  /** Index of a categorical split's categories, else -1 (only the WebAssembly compiles those). */
  readonly catIndex?: Int32Array;
}

/** A JavaScript literal for a number: exactly that double when read back. */
export function numberLiteral(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  const s = v.toString();
  // Only what toString makes of a finite number: anything else would be a bug, never a literal.
  if (!/^-?[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?$/.test(s)) throw new Error(`not a number literal: ${s}`);
  return v < 0 ? `(${s})` : s;
}

/** Each tree's height (a leaf 0), or -1 when it passes `limit`. */
function heightOf(t: SumTrees, root: number, limit: number): number {
  let best = 0;
  const stack = [root, 0];
  while (stack.length > 0) {
    const d = stack.pop()!;
    const n = stack.pop()!;
    if (t.left[n] === -1) {
      if (d > best) best = d;
      continue;
    }
    if (d + 1 > limit) return -1;
    stack.push(t.left[n], d + 1, t.right[n], d + 1);
  }
  return best;
}

/** The conditional expression of the subtree at `n` (depth bounded by {@link COMPILE_MAX_DEPTH}). */
function expression(t: SumTrees, n: number): string {
  if (t.left[n] === -1) return numberLiteral(t.contrib32[n]);
  const v = `x[o + ${t.feature[n]}]`;
  const c = numberLiteral(t.cond[n]);
  // A missing value (NaN) fails both comparisons: `!(v >= c)` sends it left, `v < c` right.
  const test = t.defaultLeft[n] ? `!(${v} >= ${c})` : `${v} < ${c}`;
  return `(${test} ? ${expression(t, t.left[n])} : ${expression(t, t.right[n])})`;
}

/** One generated function: rows `[from, to)`, trees `[first, end)` added in order to each row's sums. */
function chunkSource(t: SumTrees, first: number, end: number, cols: number, groups: number): string {
  const used = new Set<number>();
  for (let i = first; i < end; i++) used.add(t.group[i]);
  const sums = [...used].sort((a, b) => a - b);
  const lines = [`for (let r = from; r < to; r++) {`, `const o = r * ${cols}, a = r * ${groups};`];
  for (const g of sums) lines.push(`let s${g} = acc[a + ${g}];`);
  // fround after each addition: float32 sums, as XGBoost adds leaves.
  for (let i = first; i < end; i++)
    lines.push(`s${t.group[i]} = fr(s${t.group[i]} + ${expression(t, t.roots[i])});`);
  for (const g of sums) lines.push(`acc[a + ${g}] = s${g};`);
  lines.push("}");
  return lines.join("\n");
}

/**
 * Whether a booster's trees may be compiled (here or to WebAssembly, wasm-sums.ts): some trees, at most
 * {@link COMPILE_MAX_NODES} nodes in all, none deeper than {@link COMPILE_MAX_DEPTH}, no NaN threshold
 * (at a numeric split: nodes where `categorical` is 0 or more split by category, and have none).
 */
export function compilable(t: SumTrees, categorical?: Int32Array): boolean {
  const total = t.left.length;
  const numTrees = t.roots.length;
  if (total > COMPILE_MAX_NODES || numTrees === 0) return false;
  for (let n = 0; n < total; n++)
    if (t.left[n] !== -1 && !(categorical !== undefined && categorical[n] >= 0) && Number.isNaN(t.cond[n]))
      return false;
  for (let i = 0; i < numTrees; i++) if (heightOf(t, t.roots[i], COMPILE_MAX_DEPTH) < 0) return false;
  return true;
}

/**
 * Compiles a booster's trees (every split numeric, every leaf scalar) into functions that add them to
 * float32 row sums, in the model's order: calling them in turn over a row gives the same float32 sum,
 * bit for bit, as walking each tree. Undefined when the booster is too large or too deep
 * ({@link COMPILE_MAX_NODES}, {@link COMPILE_MAX_DEPTH}), has a NaN threshold, or code generation is
 * forbidden.
 */
export function compileSums(t: SumTrees, cols: number, groups: number): SumChunk[] | undefined {
  if (!compilable(t)) return undefined;
  const total = t.left.length;
  const numTrees = t.roots.length;
  const chunks: SumChunk[] = [];
  try {
    for (let first = 0; first < numTrees; ) {
      let end = first;
      let nodes = 0;
      while (end < numTrees && (end === first || nodes < CHUNK_NODES)) {
        nodes += (end + 1 < numTrees ? t.roots[end + 1] : total) - t.roots[end];
        end++;
      }
      const make = new Function(
        "fr",
        `return function treeSums${chunks.length}(x, from, to, acc) {\n${chunkSource(t, first, end, cols, groups)}\n};`,
      );
      chunks.push(make(Math.fround) as SumChunk);
      first = end;
    }
  } catch (err) {
    if (err instanceof EvalError) return undefined;
    throw err;
  }
  return chunks;
}

/**
 * The margins of `rows` rows of `x` (row-major, `cols` wide) through compiled chunks: float32 casts, the
 * base margins, every chunk over blocks of rows small enough to stay in cache.
 */
export function compiledMargins(
  chunks: readonly SumChunk[],
  baseMargin: Float64Array,
  x: Float64Array,
  rows: number,
  cols: number,
  groups: number,
): Float64Array {
  const x32 = new Float32Array(rows * cols);
  for (let i = 0; i < x32.length; i++) x32[i] = x[i];
  const acc = new Float32Array(rows * groups);
  for (let r = 0; r < rows; r++) for (let g = 0; g < groups; g++) acc[r * groups + g] = baseMargin[g];
  const block = Math.max(8, Math.floor(4096 / cols));
  for (let b = 0; b < rows; b += block) {
    const end = Math.min(rows, b + block);
    for (let c = 0; c < chunks.length; c++) chunks[c](x32, b, end, acc);
  }
  const out = new Float64Array(rows * groups);
  out.set(acc);
  return out;
}
