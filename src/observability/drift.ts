/**
 * @module Drift: each feature's training distribution (histogram bins or category shares, from a
 * bundle's statistics or derived from the model) against a sliding window of live inputs, scored by
 * the population stability index (PSI), and the same for the predictions. Bounded memory (a ring of
 * bin indices per feature) and a few typed-array operations per row; PSI is computed when read.
 */

import type { FeatureStats } from "../runtimes/runtime.ts";

export type { FeatureStats } from "../runtimes/runtime.ts";

/** The key of the prediction distribution in a statistics object. */
export const PREDICTION_KEY = "$prediction";

/** Shares below this count as this in PSI, so empty bins give a finite, documented penalty. */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of live shares against expected shares:
 * `Σ (a − e) · ln(a / e)` over bins, each share floored at {@link PSI_EPSILON}.
 */
export function psi(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = Math.max(actual[i], PSI_EPSILON);
    const e = Math.max(expected[i], PSI_EPSILON);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

// Standard normal quantiles of the deciles 0.1 … 0.9: bins of a mean/std-only feature.
const DECILE_Z = [
  -1.2815515655446004, -0.8416212335729143, -0.5244005127080407, -0.2533471031357997, 0, 0.2533471031357997,
  0.5244005127080407, 0.8416212335729143, 1.2815515655446004,
];

/** One feature's reference, compiled: numeric bins or a category table, with expected shares. */
interface Reference {
  readonly name: string;
  /** Inner cut points (k-1 of them for k bins), or undefined for categories. */
  readonly cuts?: Float64Array;
  readonly categories?: ReadonlyMap<string, number>;
  /** Expected share per bin; for categories, one extra last bin for unseen values. */
  readonly expected: Float64Array;
}

/** Compiles statistics into a reference, or undefined when they carry no distribution. */
export function compileReference(name: string, s: FeatureStats): Reference | undefined {
  if (typeof s !== "object" || s === null) return undefined;
  const finite = (xs: unknown): xs is number[] =>
    Array.isArray(xs) && xs.every((x) => typeof x === "number" && Number.isFinite(x));
  if (
    s.bins &&
    finite(s.bins.edges) &&
    finite(s.bins.fractions) &&
    s.bins.edges.length >= 2 &&
    s.bins.fractions.length === s.bins.edges.length - 1 &&
    s.bins.edges.every((e, i) => i === 0 || e > s.bins!.edges[i - 1]) &&
    s.bins.fractions.every((f) => f >= 0)
  ) {
    const total = s.bins.fractions.reduce((a, b) => a + b, 0);
    if (!(total > 0)) return undefined;
    return {
      name,
      cuts: Float64Array.from(s.bins.edges.slice(1, -1)),
      expected: Float64Array.from(s.bins.fractions, (f) => f / total),
    };
  }
  if (
    s.categories &&
    typeof s.categories === "object" &&
    Object.keys(s.categories).length > 0 &&
    Object.values(s.categories).every((f) => typeof f === "number" && Number.isFinite(f) && f >= 0)
  ) {
    const keys = Object.keys(s.categories);
    const total = keys.reduce((a, k) => a + (s.categories![k] ?? 0), 0);
    if (!(total > 0)) return undefined;
    return {
      name,
      categories: new Map(keys.map((k, i) => [k, i])),
      expected: Float64Array.from([...keys.map((k) => s.categories![k] / total), 0]),
    };
  }
  if (typeof s.mean === "number" && typeof s.std === "number" && s.std > 0) {
    // A normal approximation: ten equally likely bins at the deciles.
    return {
      name,
      cuts: Float64Array.from(DECILE_Z, (z) => s.mean! + z * s.std!),
      expected: new Float64Array(10).fill(0.1),
    };
  }
  return undefined;
}

/** The bin of a number: binary search over the inner cuts (`x < cut` → left). */
function binOf(cuts: Float64Array, x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < cuts[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A ring of the last `size` bin indices of one feature, with running counts per bin. */
class BinWindow {
  readonly ref: Reference;
  readonly counts: Int32Array;
  readonly #ring: Uint16Array;
  #next = 0;
  #filled = 0;

  constructor(ref: Reference, size: number) {
    this.ref = ref;
    this.counts = new Int32Array(ref.expected.length);
    this.#ring = new Uint16Array(size);
  }

  push(bin: number): void {
    if (this.#filled === this.#ring.length) this.counts[this.#ring[this.#next]]--;
    else this.#filled++;
    this.#ring[this.#next] = bin;
    this.counts[bin]++;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  get size(): number {
    return this.#filled;
  }

  psi(): number {
    const n = this.#filled;
    const shares = Float64Array.from(this.counts, (c) => c / n);
    return psi(shares, this.ref.expected);
  }
}

/** Live inputs and predictions of a version, as handed to {@link DriftMonitor.observe}. */
export interface DriftObservation {
  readonly rows: number;
  /** Column names in table order. */
  readonly columns: readonly string[];
  /** Row-major numbers (NaN = missing). */
  readonly numeric: Float64Array;
  /** String columns by index. */
  readonly strings: readonly (readonly (string | null)[] | undefined)[];
  /** Predicted labels or values, one per row, when known. */
  readonly predictions?: readonly unknown[];
}

/** PSI of a feature (or the predictions) over the current window. */
export interface DriftScore {
  readonly feature: string;
  /** Null until the window holds `minRows` values. */
  readonly psi: number | null;
  readonly window: number;
}

/** Options of a {@link DriftMonitor}. */
export interface DriftOptions {
  /** Rows kept per feature (default 5000). */
  readonly window?: number;
  /** Rows needed before a PSI is reported (default 200). */
  readonly minRows?: number;
}

/** Per-version drift state: one window per feature with a reference, plus the predictions. */
export class DriftMonitor {
  readonly #features: { readonly col: number; readonly w: BinWindow }[] = [];
  readonly #columns: readonly string[];
  #prediction: BinWindow | undefined;
  readonly #minRows: number;
  readonly #size: number;

  constructor(
    columns: readonly string[],
    stats: Readonly<Record<string, FeatureStats>>,
    options: DriftOptions = {},
  ) {
    this.#size = Math.max(10, options.window ?? 5000);
    this.#minRows = options.minRows ?? 200;
    this.#columns = columns;
    columns.forEach((name, col) => {
      const s = stats[name];
      const ref = s ? compileReference(name, s) : undefined;
      if (ref) this.#features.push({ col, w: new BinWindow(ref, this.#size) });
    });
    const p = stats[PREDICTION_KEY];
    const pref = p ? compileReference(PREDICTION_KEY, p) : undefined;
    if (pref) this.#prediction = new BinWindow(pref, this.#size);
  }

  /** Whether any feature or the predictions have a reference. */
  get active(): boolean {
    return this.#features.length > 0 || this.#prediction !== undefined;
  }

  /** Adds a batch of rows (missing values are skipped). */
  observe(o: DriftObservation): void {
    const width = o.columns.length;
    for (const { col, w } of this.#features) {
      const ref = w.ref;
      const strings = o.strings[col];
      for (let r = 0; r < o.rows; r++) {
        if (ref.categories) {
          const v = strings ? strings[r] : String(o.numeric[r * width + col]);
          if (v === null) continue;
          w.push(ref.categories.get(v) ?? ref.expected.length - 1);
        } else {
          const x = o.numeric[r * width + col];
          if (Number.isNaN(x)) continue;
          w.push(binOf(ref.cuts!, x));
        }
      }
    }
    const pw = this.#prediction;
    const preds = o.predictions;
    if (pw && preds) {
      for (const p of preds) {
        if (pw.ref.categories) pw.push(pw.ref.categories.get(String(p)) ?? pw.ref.expected.length - 1);
        else if (typeof p === "number" && Number.isFinite(p)) pw.push(binOf(pw.ref.cuts!, p));
      }
    }
  }

  /** PSI per feature (table order), then the predictions as `$prediction`. */
  scores(): DriftScore[] {
    const out: DriftScore[] = this.#features.map(({ col, w }) => ({
      feature: this.#columns[col],
      psi: w.size >= this.#minRows ? w.psi() : null,
      window: w.size,
    }));
    if (this.#prediction)
      out.push({
        feature: PREDICTION_KEY,
        psi: this.#prediction.size >= this.#minRows ? this.#prediction.psi() : null,
        window: this.#prediction.size,
      });
    return out;
  }
}

/** Reference statistics from rows of training data: decile bins for numbers, shares for strings. */
export function statsFromRows(
  columns: readonly string[],
  numeric: Float64Array,
  strings: readonly (readonly (string | null)[] | undefined)[],
  rows: number,
  predictions?: { readonly values: readonly unknown[]; readonly categorical: boolean },
): Record<string, FeatureStats> {
  const out: Record<string, FeatureStats> = {};
  const width = columns.length;
  columns.forEach((name, col) => {
    const s = strings[col];
    if (s) {
      const shares = categoryShares(s);
      if (shares) out[name] = { categories: shares };
      return;
    }
    const values: number[] = [];
    for (let r = 0; r < rows; r++) {
      const v = numeric[r * width + col];
      if (!Number.isNaN(v)) values.push(v);
    }
    const b = numericStats(values);
    if (b) out[name] = b;
  });
  if (predictions && predictions.values.length > 0) {
    const p = predictions.categorical
      ? { categories: categoryShares(predictions.values.map((x) => String(x))) }
      : numericStats(
          predictions.values.filter((x): x is number => typeof x === "number" && Number.isFinite(x)),
        );
    if (p && (p.categories || p.bins)) out[PREDICTION_KEY] = p as FeatureStats;
  }
  return out;
}

function categoryShares(values: readonly (string | null)[]): Record<string, number> | undefined {
  const counts = new Map<string, number>();
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    n++;
  }
  if (n === 0) return undefined;
  return Object.fromEntries([...counts].map(([k, c]) => [k, c / n]));
}

/** Mean, std, range and decile bins (equal edges merged) of a sample. */
function numericStats(values: number[]): FeatureStats | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const edges = [sorted[0]];
  for (let q = 1; q < 10; q++) {
    const cut = sorted[Math.min(n - 1, Math.floor((q * n) / 10))];
    if (cut > edges[edges.length - 1]) edges.push(cut);
  }
  if (sorted[n - 1] > edges[edges.length - 1]) edges.push(sorted[n - 1]);
  if (edges.length < 2) return { mean, std, min: sorted[0], max: sorted[n - 1] };
  // Shares by the same rule live values use (x < cut → left), over the inner cuts.
  const cuts = Float64Array.from(edges.slice(1, -1));
  const counts = new Array(edges.length - 1).fill(0);
  for (const v of sorted) counts[binOf(cuts, v)]++;
  return {
    mean,
    std,
    min: sorted[0],
    max: sorted[n - 1],
    bins: { edges, fractions: counts.map((c) => c / n) },
  };
}

/** Options of a {@link DriftTracker}. */
export interface DriftTrackerOptions extends DriftOptions {
  /** PSI above which a feature counts as drifted (default 0.2). */
  readonly threshold?: number;
  /** Where crossings are reported. */
  readonly warn?: (fields: Record<string, unknown>, msg: string) => void;
}

/** A version as the tracker sees it: its identity, input names and where its statistics live. */
export interface DriftSubject {
  readonly name: string;
  readonly version: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly model: {
    readonly trainingStats?: Readonly<Record<string, FeatureStats>>;
    readonly signature: { readonly inputs: readonly { readonly name: string }[] };
  };
}

/** Drift monitors of every version that has statistics, and threshold crossings. */
export class DriftTracker {
  readonly #monitors = new Map<
    string,
    { subject: DriftSubject; monitor: DriftMonitor | null; above: Set<string> }
  >();
  readonly #options: DriftTrackerOptions;

  constructor(options: DriftTrackerOptions = {}) {
    this.#options = options;
  }

  /** The threshold in use. */
  get threshold(): number {
    return this.#options.threshold ?? 0.2;
  }

  // Per-request lookups go by the version object (no key string built per request); the map by
  // name and version is for listing and forgetting.
  readonly #bySubject = new WeakMap<
    DriftSubject,
    { subject: DriftSubject; monitor: DriftMonitor | null; above: Set<string> }
  >();

  #entry(v: DriftSubject) {
    const hit = this.#bySubject.get(v);
    if (hit !== undefined) return hit;
    const key = `${v.name}\u0000${v.version}`;
    let e = this.#monitors.get(key);
    if (e === undefined || e.subject !== v) {
      // Bundle statistics first, then what the model itself knows (e.g. a StandardScaler's moments).
      const stats =
        (v.meta?.trainingStats as Readonly<Record<string, FeatureStats>> | undefined) ??
        v.model.trainingStats;
      const monitor = stats
        ? new DriftMonitor(
            v.model.signature.inputs.map((f) => f.name),
            stats,
            this.#options,
          )
        : undefined;
      e = { subject: v, monitor: monitor?.active ? monitor : null, above: new Set() };
      this.#monitors.set(key, e);
    }
    this.#bySubject.set(v, e);
    return e;
  }

  /** Adds a request's rows and predictions to its version's windows (no-op without statistics). */
  observe(v: DriftSubject, o: DriftObservation): void {
    this.#entry(v).monitor?.observe(o);
  }

  /** Forgets versions that are gone (called with the live set). */
  retain(live: (name: string, version: string) => boolean): void {
    for (const [k, e] of this.#monitors)
      if (!live(e.subject.name, e.subject.version)) this.#monitors.delete(k);
  }

  /** Current scores of every monitored version. */
  scores(): { model: string; version: string; scores: DriftScore[] }[] {
    const out = [];
    for (const e of this.#monitors.values())
      if (e.monitor)
        out.push({ model: e.subject.name, version: e.subject.version, scores: e.monitor.scores() });
    return out;
  }

  /** Logs a warning once when a feature crosses the threshold, and a note when it comes back under. */
  check(): void {
    const t = this.threshold;
    for (const e of this.#monitors.values()) {
      if (!e.monitor) continue;
      for (const s of e.monitor.scores()) {
        if (s.psi === null) continue;
        const fields = {
          model: e.subject.name,
          version: e.subject.version,
          feature: s.feature,
          psi: Math.round(s.psi * 1e4) / 1e4,
          threshold: t,
          window: s.window,
        };
        if (s.psi > t && !e.above.has(s.feature)) {
          e.above.add(s.feature);
          this.#options.warn?.(
            fields,
            "drift: live distribution differs from training (PSI above threshold)",
          );
        } else if (s.psi <= t && e.above.has(s.feature)) {
          e.above.delete(s.feature);
          this.#options.warn?.(fields, "drift: back under the threshold");
        }
      }
    }
  }
}
