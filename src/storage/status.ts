/**
 * @module The condition of each remote source a server uses: fresh (checked against the store) or
 * stale (the store could not be reached, the last verified copy is served). Shown in `/health` and as
 * the `modelserve_storage_stale` gauge; sources appear without credentials or query strings.
 */

/** One source's condition. */
export interface SourceCondition {
  readonly source: string;
  readonly state: "fresh" | "stale";
  /** When the store was last asked (ISO 8601). */
  readonly checkedAt: string;
  /** Why it is stale. */
  readonly error?: string;
}

/** Conditions by source. */
export class StorageStatus {
  readonly #sources = new Map<string, SourceCondition>();
  /** Downloads by outcome, and bytes downloaded, for metrics. */
  readonly counts = { downloaded: 0, unchanged: 0, stale: 0, failed: 0, bytes: 0 };

  /** Records the outcome of a check. */
  set(source: string, state: "fresh" | "stale", error?: string): void {
    this.#sources.set(source, {
      source,
      state,
      checkedAt: new Date().toISOString(),
      ...(error ? { error } : {}),
    });
  }

  /** Every source, in first-seen order. */
  all(): SourceCondition[] {
    return [...this.#sources.values()];
  }
}
