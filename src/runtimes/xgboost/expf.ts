/**
 * @module `expf` as glibc computes it (the algorithm of `sysdeps/ieee754/flt-32/e_expf.c`, from ARM's
 * optimized routines): XGBoost's float32 transforms call the C library's `expf`, whose result is a
 * double approximation rounded once to float32 — not always the float nearest to e^x. Rounding
 * `Math.exp` instead differs by one ulp on near-ties, so this reproduces glibc step by step.
 */

/** A C99 hexadecimal float literal (`hex("0x1.8p+52")`), exactly. */
function hex(lit: string): number {
  const m = /^0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(lit);
  if (!m) throw new Error(`bad hex float ${lit}`);
  const frac = m[2] ?? "";
  return Number.parseInt(m[1] + frac, 16) * 2 ** (Number(m[3]) - 4 * frac.length);
}

const LOG2_N = 5;
const N = 1 << LOG2_N;
// 2^(i/N) for i = 0..N-1, as doubles: bits of the table glibc stores after its index adjustment.
const TAB = new Float64Array(N);
for (let i = 0; i < N; i++) TAB[i] = 2 ** (i / N);
const INV_LN2_N = hex("0x1.71547652b82fep+0") * N;
const C0 = hex("0x1.c6af84b912394p-5") / N / N / N;
const C1 = hex("0x1.ebfce50fac4f3p-3") / N / N;
const C2 = hex("0x1.62e42ff0c52d6p-1") / N;
const SHIFT = hex("0x1.8p+52");
// 2^e for the integer exponents a float32 argument reaches (-151..129), exact: a table lookup instead of
// `2 ** e` per call. With the integer index below: 45–70 → 15–23 ns a call (a softmax batch calls it
// once per class and row).
const POW2_MIN = -160;
const POW2 = new Float64Array(300);
for (let i = 0; i < POW2.length; i++) POW2[i] = 2 ** (i + POW2_MIN);

/** glibc's `expf(x)` for a float32 `x`, returned as a float32 value. */
export function expf(x: number): number {
  const xf = Math.fround(x);
  if (Number.isNaN(xf)) return xf;
  if (xf > 88.72283935546875) return Number.POSITIVE_INFINITY;
  if (xf < -103.97208404541016) return 0;
  const z = INV_LN2_N * xf;
  // Round z to an integer the way glibc does: add and subtract 1.5·2^52 (ties to even).
  const kd = z + SHIFT - SHIFT;
  const r = z - kd;
  // kd is an integer within ±4800 here: its low five bits index the table (two's complement gives the
  // non-negative remainder), the rest is the power of two (integer operations: a double `%` is a call).
  const k = kd | 0;
  const s = TAB[k & (N - 1)] * POW2[(k >> LOG2_N) - POW2_MIN];
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  y = y * s;
  return Math.fround(y);
}
