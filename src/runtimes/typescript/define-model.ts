/**
 * @module `defineModel`: a model written in TypeScript (rules, a hand-fitted formula, a call into any
 * library) served like any trained model, with the same validation, docs and endpoints.
 */

import type { FeatureDType, FeatureSpec, Label, Task } from "../runtime.ts";

/** A value of one feature in a row handed to a TypeScript predictor (`null` for missing). */
export type FeatureValue = number | string | boolean | null | readonly number[];

/** One validated row, keyed by feature name. */
export type Row = Readonly<Record<string, FeatureValue>>;

/** Feature declaration: a dtype, or a spec with more detail. Features are nullable only when said so. */
export type FeatureDeclaration =
  | FeatureDType
  | (Omit<FeatureSpec, "name" | "nullable"> & { readonly nullable?: boolean });

/** What {@link defineModel} takes. */
export interface ModelDefinitionInput {
  /** Model name (URL-safe). */
  readonly name: string;
  /** Version label; defaults to `"1"`. */
  readonly version?: string;
  /** Inputs in order: `{ sepal_length: "float", … }` or full specs. */
  readonly inputs: Readonly<Record<string, FeatureDeclaration>> | readonly FeatureSpec[];
  /** Class labels for a classifier, in the order of `predictProba` columns. */
  readonly classes?: readonly Label[];
  /** Task; defaults to `classification` with `classes`, else `regression`. */
  readonly task?: Task;
  /** Human description shown in docs. */
  readonly description?: string;
  /** One prediction per row: a class label, a number, or an array of numbers for multi-target regression. */
  predict(
    rows: readonly Row[],
  ): readonly (Label | readonly number[])[] | Promise<readonly (Label | readonly number[])[]>;
  /** Class probabilities per row, in `classes` order. */
  predictProba?(
    rows: readonly Row[],
  ): readonly (readonly number[])[] | Promise<readonly (readonly number[])[]>;
}

/** A checked model definition, ready for `deploy` or the `typescript` runtime. */
export interface ModelDefinition extends ModelDefinitionInput {
  /** Brand that marks a definition (a string so copies of the library agree). */
  readonly kind: "modelserve.model-definition";
  readonly version: string;
  readonly inputSpecs: readonly FeatureSpec[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Normalises feature declarations into ordered specs. */
function toSpecs(inputs: ModelDefinitionInput["inputs"]): FeatureSpec[] {
  if (Array.isArray(inputs)) return inputs.map((f: FeatureSpec) => ({ ...f, nullable: f.nullable ?? false }));
  return Object.entries(inputs as Readonly<Record<string, FeatureDeclaration>>).map(([name, decl]) =>
    typeof decl === "string"
      ? { name, dtype: decl, nullable: false }
      : { ...decl, name, nullable: decl.nullable ?? false },
  );
}

/**
 * Declares a TypeScript model.
 *
 * @example
 * export default defineModel({
 *   name: "double",
 *   inputs: { x: "float" },
 *   predict: (rows) => rows.map((r) => (r.x as number) * 2),
 * });
 */
export function defineModel(input: ModelDefinitionInput): ModelDefinition {
  if (typeof input !== "object" || input === null) throw new TypeError("defineModel needs an object");
  if (typeof input.name !== "string" || !NAME.test(input.name)) {
    throw new TypeError(`defineModel: name must match ${NAME}, got ${JSON.stringify(input.name)}`);
  }
  if (typeof input.predict !== "function") throw new TypeError("defineModel: predict(rows) is required");
  const inputSpecs = toSpecs(input.inputs);
  if (inputSpecs.length === 0) throw new TypeError("defineModel: at least one input is required");
  const seen = new Set<string>();
  for (const f of inputSpecs) {
    if (seen.has(f.name)) throw new TypeError(`defineModel: duplicate input "${f.name}"`);
    seen.add(f.name);
    if (f.dtype === "category" && (!f.categories || f.categories.length === 0)) {
      throw new TypeError(`defineModel: category input "${f.name}" needs categories`);
    }
  }
  if (input.predictProba && !input.classes) throw new TypeError("defineModel: predictProba needs classes");
  return { ...input, kind: "modelserve.model-definition", version: input.version ?? "1", inputSpecs };
}

/** Whether a value is a definition made by {@link defineModel} (from any copy of the library). */
export function isModelDefinition(value: unknown): value is ModelDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "modelserve.model-definition" &&
    typeof (value as { predict?: unknown }).predict === "function"
  );
}
