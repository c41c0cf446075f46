/**
 * @module Which versions may become a name's automatic default. A single process promotes a newly
 * ready version at once; several worker processes must promote it together, or one worker would answer
 * with the new version while another still answers with the old. With a gate, a new version waits
 * (reported once through `onCandidate`) until {@link PromotionGate.approve} lets it in; the versions
 * present when the gate closed are admitted.
 */

const key = (name: string, version: string) => `${name}@${version}`;

/** Holds back automatic promotions until approved. */
export class PromotionGate {
  readonly #admitted = new Set<string>();
  readonly #reported = new Set<string>();
  readonly #onCandidate: (name: string, version: string) => void;

  /** `present` are admitted; `onCandidate` hears once of every other version that could be promoted. */
  constructor(
    present: Iterable<{ readonly name: string; readonly version: string }>,
    onCandidate: (name: string, version: string) => void,
  ) {
    for (const v of present) this.#admitted.add(key(v.name, v.version));
    this.#onCandidate = onCandidate;
  }

  /** Whether `name@version` may be the automatic default; reports it as a candidate when not. */
  allows(name: string, version: string): boolean {
    const k = key(name, version);
    if (this.#admitted.has(k)) return true;
    if (!this.#reported.has(k)) {
      this.#reported.add(k);
      this.#onCandidate(name, version);
    }
    return false;
  }

  /** Lets `name@version` be promoted (the registry recomputes its routing after this). */
  approve(name: string, version: string): void {
    this.#admitted.add(key(name, version));
  }

  /** Forgets a version that left (so a reload of the same label is reported again). */
  forget(name: string, version: string): void {
    const k = key(name, version);
    this.#reported.delete(k);
  }
}
