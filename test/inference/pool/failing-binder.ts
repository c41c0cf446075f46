/**
 * A recipe module whose models no pool thread can build: `bindShared` always throws (the lazy-start
 * test of placement.test.ts).
 */

/** Refuses every recipe. */
export function bindShared(_data: unknown): never {
  throw new Error("this recipe cannot be rebuilt here");
}
