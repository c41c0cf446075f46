/**
 * @module What every runtime's explanation shares: the error saying a model cannot be explained, and
 * the lazily built, cached TreeSHAP form of a model (built only for models that are explained). No
 * imports: runtimes depend on this folder, never the reverse.
 */

/**
 * Why a model (or this model's trees) cannot be explained. Surfaces answer it as
 * `MS_METHOD_NOT_SUPPORTED` with the model's name.
 */
export class NotExplainableError extends Error {}

/** Caches a value built on first use (explanation trees are built only for models that are explained). */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
