/**
 * @module Marks a runtime model as one the inference pool can bind on its threads: the recipe (a module
 * and the data its `bindShared` takes) is set on the model object itself, so that any registration
 * keyed by the object (synchronous scoring) still holds.
 */

import type { RuntimeModel, SharedModelRecipe } from "../runtime.ts";

/** Sets `model.shared` to `bindShared` of `module` over `data`; returns the model. */
export function withShared<M extends RuntimeModel>(model: M, module: URL, data: unknown): M {
  const recipe: SharedModelRecipe = { module: module.href, data };
  (model as { shared?: SharedModelRecipe }).shared = recipe;
  return model;
}
