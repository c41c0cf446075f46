/**
 * @module CPU time stolen from this machine by its hypervisor (other guests on the same cores), from the
 * `steal` column of Linux's `/proc/stat`. On a shared virtual machine it is what moves a benchmark most:
 * a round during which a quarter of the CPU went to another guest measures the neighbours, not the
 * server. Benches note it per round, and compare servers over the rounds in which little was stolen.
 */

import { readFileSync } from "node:fs";
import { median } from "./peers.ts";

/** The machine's CPU time counters (all CPUs), or undefined where `/proc/stat` has no steal column. */
function counters(): number[] | undefined {
  try {
    const first = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
    if (first[0] !== "cpu" || first.length < 9) return undefined;
    // user nice system idle iowait irq softirq steal
    return first.slice(1, 9).map(Number);
  } catch {
    return undefined;
  }
}

/** Starts a measure; the returned function gives the share of CPU time stolen since (0–1, NaN where unknown). */
export function stealMeter(): () => number {
  const before = counters();
  return () => {
    const after = counters();
    if (!before || !after) return Number.NaN;
    const d = after.map((v, i) => v - before[i]!);
    const total = d.reduce((a, b) => a + b, 0);
    return total > 0 ? d[7]! / total : Number.NaN;
  };
}

/** Rounds in which at most this share of the CPU was stolen count as quiet. */
export const QUIET_STEAL = 0.05;

/** A run's figure and the share of the CPU stolen during it. */
export interface StolenRun {
  readonly value: number;
  readonly stolen: number;
}

/**
 * The median of each round's `a / b`, over the rounds in which at most {@link QUIET_STEAL} was stolen
 * from either run (round `i` of `a` with round `i` of `b`), with how many rounds that was.
 */
export function quietRatio(a: readonly StolenRun[], b: readonly StolenRun[]): string {
  const r = a.flatMap((x, i) => {
    const y = b[i];
    return y && x.stolen <= QUIET_STEAL && y.stolen <= QUIET_STEAL ? [x.value / y.value] : [];
  });
  if (r.length === 0) return "no quiet round";
  return `${median(r).toFixed(2)} (${r.length} of ${a.length} rounds)`;
}

/** The share stolen in each round, as percentages joined by slashes. */
export const stolenPerRound = (runs: readonly number[]): string =>
  runs.map((x) => (Number.isNaN(x) ? "?" : (100 * x).toFixed(0))).join("/");
