/**
 * @module The memory budget of lazily loaded versions: which idle versions to unload, least recently
 * used first, so that loaded model files fit the budget. Only versions that can load again (they have
 * a loader) and have no request in flight are candidates.
 */

import type { ModelVersion } from "../inference/version.ts";
import type { LeaseBook } from "./leases.ts";

/** Bytes of loaded models, by their file sizes. */
export function loadedBytes(versions: readonly ModelVersion[]): number {
  let total = 0;
  for (const v of versions) if (v.model) total += v.model.info.sizeBytes;
  return total;
}

/** The versions to unload, in order, to bring `versions` within `budgetBytes`; `keep` stays. */
export function budgetVictims(
  versions: readonly ModelVersion[],
  budgetBytes: number,
  book: LeaseBook,
  keep?: string,
): ModelVersion[] {
  if (budgetBytes <= 0) return [];
  let total = loadedBytes(versions);
  if (total <= budgetBytes) return [];
  const candidates = versions
    .filter(
      (v) => v.state === "ready" && v.loader && `${v.name}@${v.version}` !== keep && book.inflight(v) === 0,
    )
    .sort((a, b) => book.order(a) - book.order(b));
  const out: ModelVersion[] = [];
  for (const v of candidates) {
    if (total <= budgetBytes) break;
    total -= v.model!.info.sizeBytes;
    out.push(v);
  }
  return out;
}
