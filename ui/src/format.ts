/** @module Readable numbers: rounded to what a person can compare, always with a unit. */

/** A number with about three significant digits (`1.37`, `245`, `12 300`). */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 10 ** digits) return Math.round(v).toLocaleString("en-US");
  if (a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(digits)));
}

/** A duration given in milliseconds: `245 µs`, `1.37 ms`, `2.5 s`. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v === 0) return "0 ms";
  if (v < 1) return `${num(v * 1000)} µs`;
  if (v < 1000) return `${num(v)} ms`;
  return `${num(v / 1000)} s`;
}

/** A duration given in seconds: `42 s`, `12 min`, `3.5 h`, `2.1 d`. */
export function seconds(v: number): string {
  if (v < 60) return `${Math.round(v)} s`;
  if (v < 3600) return `${num(v / 60, 2)} min`;
  if (v < 86400) return `${num(v / 3600, 2)} h`;
  return `${num(v / 86400, 2)} d`;
}

/** A population stability index: three decimals, tiny values as `< 0.001`. */
export function psi(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  return v < 0.001 ? "< 0.001" : v.toFixed(3);
}

/** A byte count: `512 B`, `3.4 kB`, `12.1 MB`. */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v < 1000) return `${v} B`;
  if (v < 1e6) return `${num(v / 1e3)} kB`;
  if (v < 1e9) return `${num(v / 1e6)} MB`;
  return `${num(v / 1e9)} GB`;
}

/** A share in [0, 1] as a percentage: `12.5 %`. */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${num(v * 100)} %`;
}

/** A rate per second: `12.3/s`. */
export function rate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${num(v)}/s`;
}

/** A timestamp as local date and time, to the second. */
export function when(iso: string | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { hour12: false });
}

/** A label or value as JSON would show it, strings without quotes. */
export function label(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return num(v, 6);
  return JSON.stringify(v);
}
