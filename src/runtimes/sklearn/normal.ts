/**
 * @module The standard normal CDF and its inverse (scipy's `ndtr`/`ndtri`) to about 1e-15 relative, built
 * from series and continued fractions rather than fitted coefficients: erf by its all-positive series
 * (no cancellation) below 2, erfc by its continued fraction above, and the inverse by Newton steps from
 * Acklam's rational start, on the smaller tail (as Cephes works on `1 - p` above 1 - e⁻²).
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);

/** erf(x) for 0 ≤ x < 2: 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = 2 * x * x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 2 by its continued fraction e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) (modified Lentz). */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** Φ(z), the standard normal CDF. */
function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = Math.abs(z) / SQRT2;
  if (x < 2) {
    const e = erfSeries(x);
    return z < 0 ? 0.5 * (1 - e) : 0.5 * (1 + e);
  }
  const t = 0.5 * erfcFraction(x);
  return z < 0 ? t : 1 - t;
}

/** Acklam's rational approximation of Φ⁻¹(p) for 0 < p ≤ 0.5 (relative error ≈ 1e-9): the Newton start. */
function acklamLower(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Φ⁻¹(p), scipy's `ndtri`: −∞ at 0, +∞ at 1, NaN outside [0, 1]. */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Work on the lower tail: 1 − p is exact for p ≥ 0.5 (Sterbenz), so no digit is lost.
  const upper = p > 0.5;
  const q = upper ? 1 - p : p;
  let x = acklamLower(q);
  for (let i = 0; i < 4; i++) {
    const density = Math.exp(-0.5 * x * x) / (SQRT2 * SQRT_PI);
    // Near the centre the residual is taken as ½·erf(x/√2) − (q − ½): no 1 − erf cancellation.
    const ax = Math.abs(x) / SQRT2;
    const residual = ax < 2 ? 0.5 * Math.sign(x) * erfSeries(ax) - (q - 0.5) : normalCdf(x) - q;
    const step = residual / density;
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return upper ? -x : x;
}
