/**
 * @module A correctly rounded fused multiply-add in plain JavaScript: what the FMA instruction computes,
 * which the libraries' compiled kernels (BLAS micro-kernels, glibc's `exp`) use and a bit-identical
 * reimplementation must reproduce.
 */

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's splitting constant for binary64.
const bits = new Float64Array(1);
const bitsInt = new BigInt64Array(bits.buffer);

/** `x + y` rounded to odd: the exact sum if representable, else the neighbour with an odd last bit. */
function addRoundToOdd(x: number, y: number): number {
  const s = x + y;
  const bb = s - x;
  const e = x - (s - bb) + (y - bb);
  if (e === 0 || !Number.isFinite(s)) return s;
  bits[0] = s;
  if ((bitsInt[0] & 1n) === 1n) return s;
  // Step one ulp towards the exact value (same sign as e: away from zero when s and e agree).
  bitsInt[0] += s > 0 === e > 0 ? 1n : -1n;
  return bits[0];
}

/**
 * `a·b + c` with a single rounding, as the FMA instruction computes it (Boldo & Melquiond's
 * emulation: exact product by Veltkamp/Dekker, exact sum, then a round-to-odd step that makes the
 * final round-to-nearest correct).
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (
    !Number.isFinite(p) ||
    !Number.isFinite(c) ||
    p === 0 ||
    Math.abs(p) < 1e-290 ||
    Math.abs(a) > 1e290 ||
    Math.abs(b) > 1e290
  )
    return p + c;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = al * bl - (p - ah * bh - al * bh - ah * bl);
  // p + pl == a·b exactly.
  const th = c + p;
  const bb = th - c;
  const tl = c - (th - bb) + (p - bb);
  return th + addRoundToOdd(tl, pl);
}
